//! Parser and transport tests over real HTTP against a FIXTURE server defined here, which
//! answers with scripted replies in the shapes the protocol reference documents. It is not the
//! bank and not the simulator: it checks what the client sends (method, content type, form
//! fields, the orderBundle) and how it reads answers, retries and fails. The client's
//! behaviour against a faithful bank is tested in `simulator.rs`.

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use svet_domain::Kopecks;
use svet_sberbank::{
    Client, Delivery, Error, GatewayErrorCode, OrderId, OrderNumber, OrderRef, OrderStatus, PaymentState, Url,
};
use tokio::net::TcpListener;

/// One scripted answer.
enum Reply {
    /// HTTP 200 with this JSON.
    Json(Value),
    /// This status with an empty `text/html` body, as the bank's front answers 404/405/429.
    Status(u16),
    /// Wait this long before answering `{}` (longer than the client's timeout).
    Hang(Duration),
    /// Read the request, then close the connection without an answer.
    Drop,
}

/// A request as the fixture received it.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    content_type: String,
    form: BTreeMap<String, String>,
}

struct Fixture {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fixture {
    /// Serves `script` in order on a free loopback port; once it runs out, every answer is 500.
    async fn start(script: Vec<Reply>) -> Fixture {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/payment/rest/", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let (seen_by_server, script_by_server) = (seen.clone(), script.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (seen, script) = (seen_by_server.clone(), script_by_server.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request| answer(request, seen.clone(), script.clone()));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Fixture { base, seen }
    }

    fn client(&self) -> Client {
        common::client(&self.base)
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Vec<Seen>> {
        self.seen.lock().unwrap()
    }
}

async fn answer(
    request: Request<Incoming>,
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let content_type = request
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = request.into_body().collect().await.map_err(std::io::Error::other)?.to_bytes();
    let query = format!("http://form/?{}", String::from_utf8(body.to_vec()).unwrap());
    let form = Url::parse(&query).unwrap().query_pairs().into_owned().collect();
    seen.lock().unwrap().push(Seen { method, path, content_type, form });
    let reply = script.lock().unwrap().pop_front().unwrap_or(Reply::Status(500));
    let respond = |status: u16, content_type: &str, body: String| {
        Response::builder()
            .status(status)
            .header(hyper::header::CONTENT_TYPE, content_type)
            .body(Full::new(Bytes::from(body)))
            .map_err(std::io::Error::other)
    };
    match reply {
        Reply::Json(value) => respond(200, "application/json;charset=UTF-8", value.to_string()),
        Reply::Status(status) => respond(status, "text/html", String::new()),
        Reply::Hang(wait) => {
            tokio::time::sleep(wait).await;
            respond(200, "application/json", "{}".into())
        }
        Reply::Drop => Err(std::io::Error::other("the fixture drops the connection")),
    }
}

const ORDER_ID: &str = "70906e55-7114-41d6-8332-4609dc6590f4";

fn order_id() -> OrderId {
    OrderId::parse(ORDER_ID).unwrap()
}

/// register.do's documented success: `orderId` and `formUrl` (on the gateway's site, here the
/// fixture's loopback address), no `errorCode` at all.
fn registered() -> Reply {
    Reply::Json(json!({
        "orderId": ORDER_ID,
        "formUrl": format!("http://127.0.0.1/payment/merchants/svet/payment_ru.html?mdOrder={ORDER_ID}"),
    }))
}

/// A paid order in getOrderStatusExtended.do's documented shape (legacy spellings).
fn deposited() -> Reply {
    Reply::Json(json!({
        "errorCode": "0", "errorMessage": "Успешно",
        "orderNumber": "sv00000000000000000000000000aa", "orderStatus": 2,
        "actionCode": 0, "actionCodeDescription": "", "amount": 123_456, "currency": "643",
        "date": 1_767_258_000_000_i64, "authDateTime": 1_767_258_059_000_i64,
        "attributes": [{"name": "mdOrder", "value": ORDER_ID}],
        "cardAuthInfo": {"pan": "411111**1111", "expiration": "202612", "cardholderName": "CARD HOLDER",
                         "approvalCode": "123456"},
        "paymentAmountInfo": {"approvedAmount": 123_456, "depositedAmount": 123_456, "refundedAmount": 0,
                              "paymentState": "DEPOSITED"}
    }))
}

fn error(code: Value, message: &str) -> Reply {
    Reply::Json(json!({ "errorCode": code, "errorMessage": message }))
}

/// A payment page on another site than the gateway's (a compromised or mistaken answer): the
/// customer must not be sent there to type a card number. The order may exist at the bank, so
/// the error is one that may have been sent (reconciliation settles the payment), and it is
/// not sent again.
#[tokio::test]
async fn a_payment_page_on_another_site_is_refused() {
    let foreign = Reply::Json(json!({
        "orderId": ORDER_ID,
        "formUrl": format!("https://pay.example/payment_ru.html?mdOrder={ORDER_ID}"),
    }));
    let fixture = Fixture::start(vec![foreign]).await;
    let error = fixture.client().register(&common::order(123_456)).await.unwrap_err();
    assert!(error.to_string().contains("not on the gateway's site (pay.example)"), "{error}");
    assert!(error.may_have_reached_bank(), "{error:?}");
    assert_eq!(fixture.seen().len(), 1, "register.do is sent once");
}

#[tokio::test]
async fn register_posts_the_form_with_the_cheque_and_reads_the_page() {
    let fixture = Fixture::start(vec![registered()]).await;
    let order = common::order(123_456);
    let registered = fixture.client().register(&order).await.unwrap();
    assert_eq!(registered.order_id, order_id());
    assert!(registered.form_url.as_str().ends_with(&format!("mdOrder={ORDER_ID}")));

    let seen = fixture.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/payment/rest/register.do"));
    assert_eq!(request.content_type, "application/x-www-form-urlencoded");
    let form = &request.form;
    assert_eq!(form["userName"], "svet-api");
    assert_eq!(form["password"], "svet");
    assert_eq!(form["orderNumber"], order.order_number.as_str());
    assert_eq!(form["amount"], "123456");
    assert_eq!(form["currency"], "643");
    assert_eq!(form["returnUrl"], "http://127.0.0.1:8080/api/payments/return");
    assert_eq!(form["description"], "Оплата электроэнергии, л/с 180211111");
    assert_eq!(form["language"], "ru");
    assert_eq!(form["sessionTimeoutSecs"], "1200");
    assert!(!form.contains_key("failUrl") && !form.contains_key("token"));
    // Nested JSON travels as a string inside the form field.
    let params: Value = serde_json::from_str(&form["jsonParams"]).unwrap();
    assert_eq!(params, json!({"paymentId": "p-1"}));
    let bundle: Value = serde_json::from_str(&form["orderBundle"]).unwrap();
    assert_eq!(bundle["customerDetails"], json!({"email": "customer@example.ru"}));
    let items = bundle["cartItems"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["itemAmount"], 123_456);
    assert_eq!(items[0]["itemPrice"], 123_456);
    assert_eq!(items[0]["quantity"], json!({"value": 1, "measure": "шт"}));
    assert_eq!(items[0]["name"], "Электроэнергия, л/с 180211111, январь 2026");
    assert_eq!(items[0]["tax"], json!({"taxType": 6, "taxSum": 20_576}));
}

#[tokio::test]
async fn register_refusals_are_typed_and_not_repeated() {
    let fixture = Fixture::start(vec![
        error(json!("1"), "Заказ с таким номером уже обработан"),
        error(json!(5), "Доступ запрещён"),
        error(json!("8"), "Сумма товарных позиций в Корзине не совпадает с общей суммой заказа"),
    ])
    .await;
    let client = fixture.client();
    for expected in [
        GatewayErrorCode::OrderNumberUsed,
        GatewayErrorCode::InvalidParameter,
        GatewayErrorCode::CartMismatch,
    ] {
        let error = client.register(&common::order(100)).await.unwrap_err();
        assert_eq!(error.gateway_code(), Some(&expected), "{error}");
        assert!(!error.may_have_reached_bank());
    }
    assert_eq!(fixture.seen().len(), 3);
}

#[tokio::test]
async fn register_checks_the_order_before_sending() {
    let fixture = Fixture::start(vec![]).await;
    let client = fixture.client();
    for amount in [0, -1, 1_000_000_000_000] {
        let error = client.register(&common::order(amount)).await.unwrap_err();
        assert!(matches!(error, Error::InvalidRequest { .. }), "{error}");
    }
    let mut long = common::order(100);
    long.description = "д".repeat(100);
    assert!(matches!(client.register(&long).await, Err(Error::InvalidRequest { .. })));
    assert_eq!(fixture.seen().len(), 0);
}

#[tokio::test]
async fn register_answers_without_order_or_page_are_decode_errors() {
    let fixture = Fixture::start(vec![
        Reply::Json(json!({"formUrl": "https://pay"})),
        Reply::Json(json!({"orderId": ORDER_ID})),
        Reply::Json(json!({"orderId": ORDER_ID, "formUrl": "/relative"})),
        Reply::Json(json!(["not", "an", "object"])),
    ])
    .await;
    let client = fixture.client();
    for _ in 0..4 {
        let error = client.register(&common::order(100)).await.unwrap_err();
        assert!(matches!(error, Error::Decode { .. }), "{error}");
        assert!(error.may_have_reached_bank());
    }
    assert_eq!(fixture.seen().len(), 4, "no retries of register.do");
}

#[tokio::test]
async fn status_by_id_or_number_reads_the_report() {
    let fixture = Fixture::start(vec![deposited(), deposited()]).await;
    let client = fixture.client();
    let report = client.order_status(OrderRef::Id(&order_id())).await.unwrap();
    assert_eq!(report.status, OrderStatus::Deposited);
    assert_eq!(report.order_id, Some(order_id()));
    assert_eq!(report.amounts.state, Some(PaymentState::Deposited));
    assert_eq!(report.card.as_ref().and_then(|c| c.last4()), Some("1111"));
    assert!(report.confirms_payment(Kopecks::new(123_456)));
    let number = OrderNumber::parse("sv00000000000000000000000000aa").unwrap();
    client.order_status(OrderRef::Number(&number)).await.unwrap();

    let seen = fixture.seen();
    assert_eq!(seen[0].path, "/payment/rest/getOrderStatusExtended.do");
    assert_eq!(seen[0].form["orderId"], ORDER_ID);
    assert!(!seen[0].form.contains_key("orderNumber"));
    assert_eq!(seen[1].form["orderNumber"], "sv00000000000000000000000000aa");
    assert!(!seen[1].form.contains_key("orderId"));
}

#[tokio::test]
async fn refund_and_reverse_send_the_order_and_accept_either_zero() {
    let fixture = Fixture::start(vec![
        Reply::Json(json!({"errorCode": 0, "errorMessage": ""})),
        Reply::Json(json!({"errorCode": "0", "errorMessage": "Успешно"})),
    ])
    .await;
    let client = fixture.client();
    client.refund(&order_id(), Kopecks::new(5000)).await.unwrap();
    client.reverse(&order_id()).await.unwrap();
    let seen = fixture.seen();
    assert_eq!(seen[0].path, "/payment/rest/refund.do");
    assert_eq!((seen[0].form["orderId"].as_str(), seen[0].form["amount"].as_str()), (ORDER_ID, "5000"));
    assert_eq!(seen[1].path, "/payment/rest/reverse.do");
    assert_eq!(seen[1].form["orderId"], ORDER_ID);
    assert!(!seen[1].form.contains_key("amount"));
    for request in seen.iter() {
        assert_eq!(
            (request.form["userName"].as_str(), request.form["password"].as_str()),
            ("svet-api", "svet")
        );
    }
}

#[tokio::test]
async fn every_documented_error_code_is_typed_on_every_method() {
    let codes = [
        (1, GatewayErrorCode::OrderNumberUsed),
        (3, GatewayErrorCode::UnknownCurrency),
        (4, GatewayErrorCode::MissingParameter),
        (5, GatewayErrorCode::InvalidParameter),
        (6, GatewayErrorCode::UnknownOrder),
        (7, GatewayErrorCode::SystemError),
        (8, GatewayErrorCode::CartMismatch),
        (14, GatewayErrorCode::InvalidFeatures),
        (999, GatewayErrorCode::Other("999".into())),
    ];
    // Each code twice (as a string and as a number) for each of the four methods.
    let script = codes
        .iter()
        .flat_map(|(code, _)| [json!(code.to_string()), json!(code)])
        .flat_map(|code| (0..4).map(move |_| error(code.clone(), "сообщение")))
        .collect();
    let fixture = Fixture::start(script).await;
    let mut config = common::config(&fixture.base);
    config.retry.attempts = 1;
    let client = Client::new(config).unwrap();
    for (_, expected) in &codes {
        for _ in 0..2 {
            let errors = [
                client.register(&common::order(100)).await.unwrap_err(),
                client.order_status(OrderRef::Id(&order_id())).await.unwrap_err(),
                client.refund(&order_id(), Kopecks::new(1)).await.unwrap_err(),
                client.reverse(&order_id()).await.unwrap_err(),
            ];
            for error in errors {
                assert_eq!(error.gateway_code(), Some(expected), "{error}");
                assert!(matches!(&error, Error::Gateway { message, .. } if message == "сообщение"));
            }
        }
    }
}

#[tokio::test]
async fn status_queries_are_retried_after_server_errors_and_system_errors() {
    let fixture =
        Fixture::start(vec![Reply::Status(503), error(json!("7"), "Системная ошибка"), deposited()]).await;
    let report = fixture.client().order_status(OrderRef::Id(&order_id())).await.unwrap();
    assert_eq!(report.status, OrderStatus::Deposited);
    assert_eq!(fixture.seen().len(), 3);
}

#[tokio::test]
async fn status_queries_are_retried_after_timeouts_and_dropped_connections() {
    let fixture = Fixture::start(vec![Reply::Hang(Duration::from_secs(2)), Reply::Drop, deposited()]).await;
    let report = fixture.client().order_status(OrderRef::Id(&order_id())).await.unwrap();
    assert_eq!(report.status, OrderStatus::Deposited);
    assert_eq!(fixture.seen().len(), 3);
}

#[tokio::test]
async fn status_queries_give_up_after_the_retry_budget() {
    let fixture =
        Fixture::start(vec![Reply::Status(500), Reply::Status(502), Reply::Status(503), deposited()]).await;
    let error = fixture.client().order_status(OrderRef::Id(&order_id())).await.unwrap_err();
    assert!(matches!(error, Error::Http { status: 503, .. }), "{error}");
    assert_eq!(fixture.seen().len(), 3);
}

#[tokio::test]
async fn status_queries_are_not_retried_after_a_refusal() {
    let fixture = Fixture::start(vec![error(json!("6"), "Заказ не найден"), deposited()]).await;
    let error = fixture.client().order_status(OrderRef::Id(&order_id())).await.unwrap_err();
    assert_eq!(error.gateway_code(), Some(&GatewayErrorCode::UnknownOrder));
    assert_eq!(fixture.seen().len(), 1);
}

#[tokio::test]
async fn changes_are_never_repeated_once_the_request_may_have_arrived() {
    let fixture = Fixture::start(vec![
        // register.do: a server error, then a dropped connection.
        Reply::Status(503),
        Reply::Drop,
        // refund.do: a timeout, then a system error.
        Reply::Hang(Duration::from_secs(2)),
        error(json!(7), "Системная ошибка"),
        // reverse.do: a dropped connection.
        Reply::Drop,
    ])
    .await;
    let client = fixture.client();
    let outcomes = [
        client.register(&common::order(100)).await.unwrap_err(),
        client.register(&common::order(100)).await.unwrap_err(),
        client.refund(&order_id(), Kopecks::new(100)).await.unwrap_err(),
        client.refund(&order_id(), Kopecks::new(100)).await.unwrap_err(),
        client.reverse(&order_id()).await.unwrap_err(),
    ];
    assert!(matches!(outcomes[0], Error::Http { status: 503, .. }));
    assert!(matches!(outcomes[1], Error::Transport { delivery: Delivery::Unknown, .. }));
    assert!(
        matches!(&outcomes[2], Error::Transport { delivery: Delivery::Unknown, source, .. } if source.is_timeout())
    );
    assert_eq!(outcomes[3].gateway_code(), Some(&GatewayErrorCode::SystemError));
    assert!(matches!(outcomes[4], Error::Transport { delivery: Delivery::Unknown, .. }));
    for error in &outcomes {
        assert!(error.may_have_reached_bank(), "{error}");
    }
    let paths: Vec<String> = fixture.seen().iter().map(|s| s.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/payment/rest/register.do",
            "/payment/rest/register.do",
            "/payment/rest/refund.do",
            "/payment/rest/refund.do",
            "/payment/rest/reverse.do"
        ],
        "each call sent exactly once"
    );
}

#[tokio::test]
async fn a_connection_that_is_never_made_is_retried_even_for_register() {
    // A port that was free a moment ago: nothing listens there, so every connect is refused.
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let client = common::client(&format!("http://127.0.0.1:{port}/payment/rest/"));
    let started = Instant::now();
    let error = client.register(&common::order(100)).await.unwrap_err();
    assert!(matches!(error, Error::Transport { delivery: Delivery::NotSent, .. }), "{error}");
    assert!(!error.may_have_reached_bank());
    // Three attempts, 20 ms and then 40 ms apart.
    assert!(started.elapsed() >= Duration::from_millis(60), "{:?}", started.elapsed());
    let error = client.refund(&order_id(), Kopecks::new(1)).await.unwrap_err();
    assert!(matches!(error, Error::Transport { delivery: Delivery::NotSent, .. }), "{error}");
}

#[tokio::test]
async fn html_and_garbage_answers_are_reported_without_their_content() {
    let fixture = Fixture::start(vec![
        Reply::Status(404),
        Reply::Json(json!("customer@example.ru")),
        Reply::Json(json!({"errorCode": "0", "orderStatus": 2, "amount": "customer@example.ru"})),
    ])
    .await;
    let client = fixture.client();
    let error = client.reverse(&order_id()).await.unwrap_err();
    assert!(matches!(error, Error::Http { status: 404, .. }));
    let error = client.reverse(&order_id()).await.unwrap_err();
    assert!(matches!(error, Error::Decode { .. }));
    assert!(!error.to_string().contains("customer"), "{error}");
    let error = client.order_status(OrderRef::Id(&order_id())).await.unwrap_err();
    assert!(matches!(error, Error::Decode { .. }));
    assert!(!error.to_string().contains("customer"), "{error}");
}
