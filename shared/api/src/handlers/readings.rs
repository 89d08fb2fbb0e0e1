//! Meter readings: `GET /api/readings` (the meter and the history with each reading's source
//! and status) and `POST /api/readings` (a readings-only submission, B3–B5, B11).

use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use svet_domain::Meter;
use svet_domain::billing::Registers;
use svet_domain::readings::{self, Reading, SubmitError, Typed};
use svet_domain::registry::{RegistryEntry, registry_key};

use crate::error::json;
use crate::request::json_body;
use crate::session::{caller, same_origin};
use crate::{ApiError, App, Body, Request, Response};

fn view(r: &Reading) -> Value {
    let registers = match r.registers {
        Registers::Single(value) => json!({ "single": value }),
        Registers::DayNight { day, night } => json!({ "day": day, "night": night }),
    };
    json!({
        "period": r.period,
        "period_name": r.period.name_ru(),
        "submitted_at": r.submitted_at,
        "registers": registers,
        "source": r.source,
        "source_label": r.source.label_ru(),
        "status_label": r.status.label_ru(),
    })
}

/// `GET /api/readings`
pub async fn list(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let who = caller(app, &request).await?;
    let entry: RegistryEntry = app
        .store
        .get(&registry_key(&who.account))
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a session for an account outside the registry")))?
        .to_serde()?;
    let meter = match entry.meter {
        Meter::None => json!({ "kind": "none" }),
        Meter::Single { digits, reading } => {
            json!({ "kind": "single", "digits": digits, "registry_reading": reading })
        }
        Meter::DayNight { digits, day, night } => {
            json!({ "kind": "day_night", "digits": digits, "registry_day": day, "registry_night": night })
        }
    };
    let history = readings::history(app.store.as_ref(), &who.account, 24).await?;
    json(StatusCode::OK, &json!({ "meter": meter, "readings": history.iter().map(view).collect::<Vec<_>>() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadingsForm {
    single: Option<String>,
    day: Option<String>,
    night: Option<String>,
    #[serde(default)]
    confirm: bool,
}

/// `POST /api/readings`
pub async fn submit(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let who = caller(app, &request).await?;
    let form: ReadingsForm = json_body(&request)?;
    let typed = Typed { single: form.single, day: form.day, night: form.night };
    let reading = readings::submit(
        app.store.as_ref(),
        app.clock.as_ref(),
        app.ids.as_ref(),
        &app.config,
        &who.account,
        &typed,
        form.confirm,
    )
    .await
    .map_err(submit_error)?;
    json(StatusCode::CREATED, &view(&reading))
}

pub(crate) fn submit_error(e: SubmitError) -> ApiError {
    let fields = |status, code, message: &str, fields| ApiError::Fields {
        status,
        code,
        message: message.into(),
        fields,
    };
    match e {
        SubmitError::NoMeter => ApiError::Client {
            status: StatusCode::BAD_REQUEST,
            code: "no_meter",
            message: "Для этого адреса прибор учёта не установлен, показания не передаются.".into(),
        },
        SubmitError::Invalid { field, error } => fields(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Проверьте показания.",
            vec![(field, error.message_ru())],
        ),
        SubmitError::Fields { field, message } => fields(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Проверьте показания.",
            vec![(field, message.to_owned())],
        ),
        SubmitError::NeedsConfirmation(questions) => fields(
            StatusCode::CONFLICT,
            "confirm",
            "Вы уверены? Проверьте показания и подтвердите их.",
            questions,
        ),
        SubmitError::Twice => ApiError::Client {
            status: StatusCode::CONFLICT,
            code: "twice",
            message: "Эти показания уже переданы. Обновите страницу.".into(),
        },
        SubmitError::NotInRegistry => {
            ApiError::Internal(anyhow::anyhow!("a session for an account outside the registry"))
        }
        SubmitError::Store(e) => e.into(),
    }
}
