//! The registry import on both stores: idempotent re-runs, both encodings, every refused row
//! reported by line, file-level problems writing nothing, and a crash that a re-run finishes.
//! Then the same import as the AWS Lambda runs it, from an upload in the bucket.

use std::io::Cursor;
use std::sync::Arc;

use svet_domain::registry::{
    self, FileError, ImportError, ImportOptions, Quiet, RegistryEntry, RowIssue, Summary, registry_key,
};
use svet_domain::store::{Query, SkRange, Store};
use svet_domain::{AccountNumber, Kopecks, Meter};

use crate::helpers::{FaultyStore, Harness, config, on_both_stores};

on_both_stores!(
    imports_then_reimports_idempotently,
    windows_1251_reads_like_utf8,
    bad_rows_are_reported_by_line_and_the_rest_written,
    file_problems_write_nothing,
    a_crash_mid_import_is_finished_by_a_rerun,
    a_dry_run_writes_nothing,
);

const HEADER: &str = "account;address;meter;digits;reading;reading_night;tariff;balance";

fn file(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from(HEADER);
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    text.into_bytes()
}

async fn run(
    h: &Harness,
    store: &dyn Store,
    bytes: &[u8],
    options: &ImportOptions,
) -> (Result<Summary, ImportError>, Vec<RowIssue>) {
    let mut issues = Vec::new();
    let result = registry::import(
        store,
        &config(),
        h.clock.as_ref(),
        h.ids.as_ref(),
        || Ok(Cursor::new(bytes.to_vec())),
        "registry.csv",
        bytes.len() as u64,
        options,
        &Quiet,
        &mut |issue| issues.push(issue.clone()),
    )
    .await;
    (result, issues)
}

async fn entry(h: &Harness, account: &str) -> Option<RegistryEntry> {
    let key = registry_key(&AccountNumber::parse(account).unwrap());
    h.store.get(&key).await.unwrap().map(|item| item.to_serde().unwrap())
}

fn counts(s: &Summary) -> [u64; 5] {
    [s.rows, s.imported, s.updated, s.unchanged, s.refused]
}

const ROWS: [&str; 5] = [
    "180211111;г. Калуга, ул. Ленина, д. 12, кв. 5;single;5;12345;;urban;1234,56",
    "180211112;г. Калуга, ул. Кирова, д. 3, кв. 41;day_night;6;23456;10234;urban;2345,00",
    "180211113;Калужская обл., д. Галкино, ул. Садовая, д. 7;none;;;;rural;850,40",
    "180211114;г. Калуга, пер. Старичков, д. 2, кв. 17;single;6;54321;;urban;-500,00",
    "180211115;г. Обнинск, пр-т Ленина, д. 88, кв. 120;single;6;98765;;urban;123456,78",
];

async fn imports_then_reimports_idempotently(h: &Harness) {
    let (first, issues) = run(h, h.store.as_ref(), &file(&ROWS), &ImportOptions::default()).await;
    let first = first.unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(counts(&first), [5, 5, 0, 0, 0], "{}", h.backend);
    assert_eq!(
        entry(h, "180211112").await.unwrap(),
        RegistryEntry {
            account: AccountNumber::parse("180211112").unwrap(),
            address: "г. Калуга, ул. Кирова, д. 3, кв. 41".into(),
            meter: Meter::DayNight { digits: 6, day: 23456, night: 10234 },
            tariff: "urban".into(),
            balance: Kopecks::new(234_500),
        }
    );
    assert_eq!(
        entry(h, "180211114").await.unwrap().balance,
        Kopecks::new(-50_000),
        "an overpayment is negative"
    );

    let (again, _) = run(h, h.store.as_ref(), &file(&ROWS), &ImportOptions::default()).await;
    assert_eq!(counts(&again.unwrap()), [5, 0, 0, 5, 0], "{}: a re-run changes nothing", h.backend);

    let mut changed = ROWS.to_vec();
    changed[0] = "180211111;г. Калуга, ул. Ленина, д. 12, кв. 5;single;5;12400;;urban;0";
    changed.push("180211116;г. Калуга, ул. Новая, д. 1;single;5;1;;rural;0");
    let (third, _) = run(h, h.store.as_ref(), &file(&changed), &ImportOptions::default()).await;
    assert_eq!(counts(&third.unwrap()), [6, 1, 1, 4, 0], "{}", h.backend);
    let updated =
        h.store.get(&registry_key(&AccountNumber::parse("180211111").unwrap())).await.unwrap().unwrap();
    assert_eq!(updated.version, 2, "an update bumps the version");
    assert_eq!(
        updated.to_serde::<RegistryEntry>().unwrap().meter,
        Meter::Single { digits: 5, reading: 12400 }
    );

    let history = h.store.query(&Query::new("IMPORTS", SkRange::All)).await.unwrap();
    assert_eq!(history.items.len(), 3, "{}: each import is recorded", h.backend);
}

async fn windows_1251_reads_like_utf8(h: &Harness) {
    let text = String::from_utf8(file(&ROWS[..2])).unwrap().replace('\n', "\r\n");
    let (cp1251, _, lossy) = encoding_rs::WINDOWS_1251.encode(&text);
    assert!(!lossy);
    let (summary, issues) = run(h, h.store.as_ref(), &cp1251, &ImportOptions::default()).await;
    let summary = summary.unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(summary.encoding, "Windows-1251");
    assert_eq!(entry(h, "180211111").await.unwrap().address, "г. Калуга, ул. Ленина, д. 12, кв. 5");

    let bom = [b"\xef\xbb\xbf".as_slice(), &file(&ROWS[2..3])].concat();
    let (summary, _) = run(h, h.store.as_ref(), &bom, &ImportOptions::default()).await;
    assert_eq!(summary.unwrap().encoding, "UTF-8");
    assert_eq!(entry(h, "180211113").await.unwrap().meter, Meter::None);
}

async fn bad_rows_are_reported_by_line_and_the_rest_written(h: &Harness) {
    let long = format!("180211120;{};single;5;1;;urban;0", "д".repeat(3000));
    let rows = [
        ROWS[0],                                        // line 2: fine
        "(180)211117;г. Калуга;single;5;1;;urban;0",    // 3: brackets
        ROWS[1],                                        // 4: duplicate of line 7
        "180211118;г. Калуга;single;5;123456;;urban;0", // 5: too many digits
        "",                                             // 6: blank, skipped
        "180211112;другой адрес;single;5;1;;urban;0",   // 7: duplicate of line 4
        "180211119;г. Калуга;single;5;1;;urban;12.50",  // 8: dot decimal
        &long,                                          // 9: too long
        ROWS[2],                                        // 10: fine
    ];
    let (summary, issues) = run(h, h.store.as_ref(), &file(&rows), &ImportOptions::default()).await;
    let summary = summary.unwrap();
    let lines: Vec<u64> = issues.iter().map(|i| i.line).collect();
    assert_eq!(lines, [3, 4, 5, 7, 8, 9], "{}: in line order: {issues:?}", h.backend);
    assert!(issues[0].reason.contains("account: unexpected character '('"), "{:?}", issues[0]);
    assert!(issues[1].reason.contains("also on line 7"), "{:?}", issues[1]);
    assert!(issues[3].reason.contains("also on line 4"), "{:?}", issues[3]);
    assert!(issues[5].reason.contains("bytes; at most 4096"), "{:?}", issues[5]);
    assert_eq!(counts(&summary), [8, 2, 0, 0, 6]);
    assert!(entry(h, "180211111").await.is_some() && entry(h, "180211113").await.is_some());
    assert!(entry(h, "180211112").await.is_none(), "{}: an ambiguous account is not written", h.backend);
}

async fn file_problems_write_nothing(h: &Harness) {
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(String::from_utf8(file(&ROWS)).unwrap().encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let mut mixed = file(&ROWS[..1]);
    mixed.extend_from_slice(&encoding_rs::WINDOWS_1251.encode("180211119;г. Калуга;none;;;;urban;0\n").0);
    let cases: Vec<(&str, Vec<u8>, ImportOptions)> = vec![
        ("empty", Vec::new(), ImportOptions::default()),
        ("header only", file(&[]), ImportOptions::default()),
        ("missing column", b"account;address;meter\n1802;a;none\n".to_vec(), ImportOptions::default()),
        ("extra column", format!("{HEADER};phone\n{};+7\n", ROWS[0]).into_bytes(), ImportOptions::default()),
        ("utf-16", utf16, ImportOptions::default()),
        ("mixed encodings", mixed, ImportOptions::default()),
        ("too many rows", file(&ROWS), ImportOptions { max_rows: 4, ..ImportOptions::default() }),
        ("binary", vec![0x50, 0x4b, 0x03, 0x04, 0, 0, 0x14, 0], ImportOptions::default()),
    ];
    for (name, bytes, options) in cases {
        let (result, _) = run(h, h.store.as_ref(), &bytes, &options).await;
        let error = match result {
            Err(ImportError::File(e)) => e,
            other => panic!("{}: {name}: expected a file error, got {other:?}", h.backend),
        };
        let text = error.to_string();
        let expected = match name {
            "empty" => matches!(error, FileError::Empty),
            "header only" => matches!(error, FileError::NoRows),
            "missing column" => text.contains("missing column(s) \"digits\""),
            "extra column" => text.contains("unexpected column(s) \"phone\""),
            "utf-16" | "binary" => matches!(error, FileError::NotText(_)),
            "mixed encodings" => matches!(error, FileError::MixedEncoding(3)),
            _ => matches!(error, FileError::TooManyRows(4)),
        };
        assert!(expected, "{}: {name}: {text}", h.backend);
    }
    assert!(entry(h, "180211111").await.is_none(), "{}: nothing written", h.backend);
    assert!(h.store.query(&Query::new("IMPORTS", SkRange::All)).await.unwrap().items.is_empty());
}

async fn a_crash_mid_import_is_finished_by_a_rerun(h: &Harness) {
    let rows: Vec<String> =
        (0..35).map(|i| format!("1900000{i:02};г. Калуга, д. {i};single;5;{i};;urban;{i},00")).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let options = ImportOptions { batch: 10, ..ImportOptions::default() };
    let crashing = FaultyStore::crash_after_put_many(h.store.clone(), 1);
    let (crashed, _) = run(h, &crashing, &file(&rows), &options).await;
    assert!(matches!(crashed, Err(ImportError::Store(_))), "{}: {crashed:?}", h.backend);
    assert!(entry(h, "190000009").await.is_some() && entry(h, "190000010").await.is_none());

    let (rerun, _) = run(h, h.store.as_ref(), &file(&rows), &options).await;
    assert_eq!(counts(&rerun.unwrap()), [35, 25, 0, 10, 0], "{}: the re-run finishes the job", h.backend);
    assert_eq!(entry(h, "190000034").await.unwrap().balance, Kopecks::new(3400));
}

async fn a_dry_run_writes_nothing(h: &Harness) {
    run(h, h.store.as_ref(), &file(&ROWS[..1]), &ImportOptions::default()).await.0.unwrap();
    let dry = ImportOptions { dry_run: true, ..ImportOptions::default() };
    let (summary, _) = run(h, h.store.as_ref(), &file(&ROWS), &dry).await;
    assert_eq!(counts(&summary.unwrap()), [5, 4, 0, 1, 0], "{}: classified as a real run would", h.backend);
    assert!(entry(h, "180211112").await.is_none(), "{}: but nothing written", h.backend);
}

/// The Lambda's path: an upload under `imports/` triggers the function, which imports from the
/// bucket into DynamoDB and leaves a report under `import-reports/`.
#[tokio::test]
async fn the_lambda_imports_an_upload_from_the_bucket() {
    use aws_lambda_events::event::s3::S3Event;
    let sdk = crate::helpers::sdk().await;
    let s3 = svet_aws::S3Documents::client(&sdk);
    let bucket = crate::helpers::create_bucket(&s3).await;
    let ddb = svet_aws::dynamodb_client::Client::new(&sdk);
    let table = crate::helpers::create_table(&ddb).await;
    let clock = crate::helpers::clock();
    let ids = Arc::new(svet_domain::SequentialIds::default());
    let app = crate::portal::app(
        Arc::new(svet_aws::DynamoStore::new(ddb, &table, clock.clone())),
        Arc::new(svet_aws::SesMailer::new(svet_aws::sesv2_client::Client::new(&sdk), "a@b.c", ids.clone())),
        Arc::new(svet_aws::S3Documents::new(s3.clone(), &bucket)),
        clock,
        ids,
    );
    let mut rows = ROWS.to_vec();
    rows.push("180211199;г. Калуга;single;5;1;;dacha;0");
    let key = "imports/реестр 2026-02.csv";
    s3.put_object().bucket(&bucket).key(key).body(file(&rows).into()).send().await.unwrap();

    // A real S3 notification's shape, with the key URL-encoded as S3 sends it.
    let event: S3Event =
        serde_json::from_str(&include_str!("../fixtures/s3-put-event.json").replace("BUCKET", &bucket))
            .expect("the fixture is an S3 event");
    svet_functions::registry_import::handle(
        &app,
        lambda_runtime::LambdaEvent::new(event, Default::default()),
    )
    .await
    .expect("the import succeeds");

    let stored =
        app.store.get(&registry_key(&AccountNumber::parse("180211115").unwrap())).await.unwrap().unwrap();
    assert_eq!(stored.to_serde::<RegistryEntry>().unwrap().balance, Kopecks::new(12_345_678));
    let reports = s3.list_objects_v2().bucket(&bucket).prefix("import-reports/").send().await.unwrap();
    let report_key = reports.contents()[0].key().unwrap().to_owned();
    let report = s3.get_object().bucket(&bucket).key(&report_key).send().await.unwrap();
    let text = String::from_utf8(report.body.collect().await.unwrap().to_vec()).unwrap();
    assert!(text.contains("rows 6: imported 5, updated 0, unchanged 0, refused 1"), "{text}");
    assert!(text.contains("line 7: tariff: unknown code \"dacha\""), "{text}");
}
