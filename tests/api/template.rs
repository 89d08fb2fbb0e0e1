//! template.yaml held against the code. The route table ([`ROUTES`]) is the one list of
//! endpoints: the local server mounts it and each Lambda binary picks its route from it, so
//! the template must declare exactly those routes, one function per binary in
//! functions/src/bin/, and nothing else. The binaries that serve no route are jobs ([`JOBS`]),
//! each started by exactly one event of its kind; the monthly bill run's schedule, queue and
//! dead-letter queue are checked as the code relies on them.
//!
//! The rest checks what the static tools miss. cfn-lint 1.58 and `sam validate --lint` do not
//! run the SAM translator: they check an `AWS::Serverless::Function` against its own schema
//! only, so a misspelt `!Ref` or `!GetAtt` in a function's environment or policies passes both
//! and fails only at deploy time (../shared/tooling.md §3). Hence a reference checker that
//! walks the whole template, and checks of the settings we rely on (runtime, logs, table,
//! bucket, least privilege).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use serde_yaml::{Mapping, Value};
use svet_api::routes::ROUTES;

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
const BINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../functions/src/bin");

const FUNCTION: &str = "AWS::Serverless::Function";

/// The binaries that serve no HTTP route, with the one event type that starts each.
const JOBS: &[(&str, &str)] = &[
    ("registry-import", "S3"),
    ("bills-plan", "ScheduleV2"),
    ("bills-work", "SQS"),
    ("reconcile-payments", "ScheduleV2"),
];

/// The binaries that an operator invokes directly (`aws lambda invoke`): no route, no event.
const INVOKED: &[&str] = &["payments-refund"];

/// Parameters that CloudFormation defines in every stack.
const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::NoValue",
    "AWS::NotificationARNs",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

static PARSED: LazyLock<Value> = LazyLock::new(|| {
    let text = std::fs::read_to_string(TEMPLATE).unwrap_or_else(|e| panic!("cannot read {TEMPLATE}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{TEMPLATE} is not YAML: {e}"))
});

fn template() -> &'static Value {
    &PARSED
}

#[test]
fn every_route_has_its_function_with_one_http_event() {
    let t = template();
    assert_eq!(
        text(&t["Resources"]["HttpApi"]["Type"]),
        Some("AWS::Serverless::HttpApi"),
        "the routes' events name an API `HttpApi`, which must be an AWS::Serverless::HttpApi"
    );
    for route in ROUTES {
        let id = function_id(route.function);
        let resource =
            resource(t, &id).unwrap_or_else(|| panic!("route {route:?}: template.yaml has no resource {id}"));
        assert_eq!(text(&resource["Type"]), Some(FUNCTION), "route {route:?}: {id} is not an {FUNCTION}");
        assert_eq!(
            binary(resource),
            Some(route.function),
            "route {route:?}: {id}'s Metadata.BuildProperties.Binary is not {:?}",
            route.function
        );
        let events = http_events(resource);
        let [(name, event)] = events.as_slice() else {
            panic!("route {route:?}: {id} has {} HttpApi events, not exactly one", events.len());
        };
        let props = &event["Properties"];
        assert_eq!(
            text(&props["Path"]),
            Some(route.path),
            "route {route:?}: {id}'s event {name} has another Path"
        );
        let method = text(&props["Method"]).unwrap_or_default();
        assert!(
            method.eq_ignore_ascii_case(route.method.as_str()),
            "route {route:?}: {id}'s event {name} has Method {method:?}"
        );
        assert_eq!(
            ref_target(&props["ApiId"]),
            Some("HttpApi"),
            "route {route:?}: {id}'s event {name} must have `ApiId: !Ref HttpApi` (without it SAM makes a second, implicit API)"
        );
    }
}

#[test]
fn every_http_event_is_a_route_and_none_repeats() {
    let t = template();
    let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
    for (id, resource) in resources_of_type(t, FUNCTION) {
        for (name, event) in http_events(resource) {
            let at = format!("{id}.Events.{name}");
            let props = &event["Properties"];
            let method = text(&props["Method"]).unwrap_or_default().to_ascii_uppercase();
            let path = text(&props["Path"]).unwrap_or_default().to_owned();
            let route = ROUTES.iter().find(|r| r.method.as_str() == method && r.path == path);
            let Some(route) = route else {
                panic!(
                    "{at}: {method} {path} is not in svet_api::routes::ROUTES (the local server would not serve it)"
                );
            };
            assert_eq!(
                function_id(route.function),
                id,
                "{at}: {method} {path} is served by the binary {:?} in ROUTES, so its event belongs in {}",
                route.function,
                function_id(route.function)
            );
            if let Some(first) = seen.insert((method.clone(), path.clone()), at.clone()) {
                panic!("{method} {path} is declared twice: {first} and {at}");
            }
        }
    }
}

#[test]
fn every_function_has_a_binary_and_every_binary_one_function() {
    let t = template();
    let bins = binaries();
    assert!(!bins.is_empty(), "no binaries found in {BINS}");
    let mut functions_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (id, resource) in resources_of_type(t, FUNCTION) {
        assert_eq!(
            text(&resource["Metadata"]["BuildMethod"]),
            Some("rust-cargolambda"),
            "{id}: Metadata.BuildMethod must be rust-cargolambda"
        );
        let Some(bin) = binary(resource) else {
            panic!("{id}: no Metadata.BuildProperties.Binary");
        };
        assert!(bins.contains(bin), "{id}: its Binary {bin:?} has no functions/src/bin/{bin}.rs");
        functions_of.entry(bin).or_default().push(id);
    }
    for bin in &bins {
        let ids = functions_of.get(bin.as_str()).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(
            ids.len(),
            1,
            "functions/src/bin/{bin}.rs is deployed by {} functions: {ids:?}",
            ids.len()
        );
    }
}

#[test]
fn every_reference_names_something_that_exists() {
    let problems = dangling_references(template());
    assert!(
        problems.is_empty(),
        "template.yaml refers to names it does not define:\n{}",
        problems.join("\n")
    );
}

#[test]
fn reference_checker_catches_misspelt_names_inside_a_function() {
    // Both pass cfn-lint and `sam validate --lint` (../shared/tooling.md §3).
    let yaml = r"
Transform: AWS::Serverless-2016-10-31
Resources:
  DataTable:
    Type: AWS::DynamoDB::Table
  HealthFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          TABLE_NAME: !Ref DataTabel
      Policies:
        - Statement:
            - Effect: Allow
              Action: dynamodb:GetItem
              Resource: !GetAtt DataTabel.Arn
";
    let problems = dangling_references(&serde_yaml::from_str(yaml).unwrap());
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].contains("HealthFunction.Properties.Environment.Variables.TABLE_NAME")
            && problems[0].contains("DataTabel"),
        "{problems:#?}"
    );
    assert!(
        problems[1].contains("HealthFunction.Properties.Policies") && problems[1].contains("DataTabel"),
        "{problems:#?}"
    );
}

#[test]
fn reference_checker_reads_every_form() {
    let yaml = r#"
Parameters:
  Stage: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Fn:
    Type: AWS::Serverless::Function
    DependsOn: [Table, Missing1]
    Properties:
      Environment:
        Variables:
          A: !Sub "${Table}-${Table.Arn}-${AWS::Region}-${!Literal}-${Missing2}"
          B: !Sub ["${Local}-${Stage}-${Missing3}", {Local: !Ref Table}]
          C: {"Fn::Sub": ["${Local}", {Local: {Ref: Missing4}}]}
          D: {"Fn::GetAtt": [Missing5, Arn]}
          E: !GetAtt [Table, Arn]
          F: !If [IsProd, !Ref FnRole, !Ref AWS::NoValue]
          G: !If [IsStaging, x, y]
          H: !Sub "${Missing6.Arn}"
"#;
    let problems = dangling_references(&serde_yaml::from_str(yaml).unwrap());
    let expected = ["Missing1", "Missing2", "Missing3", "Missing4", "Missing5", "Missing6", "IsStaging"];
    let missed: Vec<&str> =
        expected.into_iter().filter(|name| !problems.iter().any(|p| p.contains(name))).collect();
    assert!(missed.is_empty(), "not caught: {missed:?}; found: {problems:#?}");
    assert_eq!(problems.len(), 7, "false alarms among: {problems:#?}");
}

#[test]
fn functions_run_on_arm64_al2023_with_json_logs() {
    let t = template();
    let globals = &t["Globals"]["Function"];
    assert_eq!(text(&globals["Runtime"]), Some("provided.al2023"), "Globals.Function.Runtime");
    assert_eq!(texts(&globals["Architectures"]), ["arm64"], "Globals.Function.Architectures");
    assert_eq!(
        text(&globals["LoggingConfig"]["LogFormat"]),
        Some("JSON"),
        "Globals.Function.LoggingConfig.LogFormat"
    );
    // Every function logs to the one group that has a retention (Lambda's default groups keep
    // logs forever), and no function overrides its logging.
    let group = &globals["LoggingConfig"]["LogGroup"];
    assert_eq!(ref_target(group), Some("FunctionLogs"), "Globals.Function.LoggingConfig.LogGroup: {group:?}");
    let logs = resource(t, "FunctionLogs").expect("FunctionLogs");
    assert_eq!(text(&logs["Type"]), Some("AWS::Logs::LogGroup"));
    assert_eq!(ref_target(&logs["Properties"]["RetentionInDays"]), Some("LogRetentionDays"));
    assert!(t["Parameters"]["LogRetentionDays"]["Default"].as_u64().is_some_and(|d| d > 0 && d <= 365));
    for (id, resource) in resources_of_type(t, FUNCTION) {
        let props = &resource["Properties"];
        assert!(
            props.get("Runtime").is_none() && props.get("Architectures").is_none(),
            "{id}: Runtime and Architectures come from Globals, for every function alike"
        );
        assert!(props.get("LoggingConfig").is_none(), "{id}: logging comes from Globals");
    }
}

#[test]
fn the_table_is_on_demand_recoverable_encrypted_and_expires_items() {
    let tables = resources_of_type(template(), "AWS::DynamoDB::Table");
    let [(id, table)] = tables.as_slice() else {
        panic!("Svet keeps everything in one DynamoDB table; template.yaml has {}", tables.len());
    };
    let props = &table["Properties"];
    assert_eq!(text(&props["BillingMode"]), Some("PAY_PER_REQUEST"), "{id}: BillingMode");
    assert!(
        is_true(&props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]),
        "{id}: point-in-time recovery must be enabled"
    );
    let ttl = &props["TimeToLiveSpecification"];
    assert!(
        text(&ttl["AttributeName"]) == Some("expiresAt") && is_true(&ttl["Enabled"]),
        "{id}: TTL must be enabled on expiresAt (sessions and tokens expire by it)"
    );
    assert!(is_true(&props["SSESpecification"]["SSEEnabled"]), "{id}: SSESpecification.SSEEnabled");
    let keys: Vec<(&str, &str)> = items(&props["KeySchema"])
        .iter()
        .map(|k| (text(&k["AttributeName"]).unwrap_or_default(), text(&k["KeyType"]).unwrap_or_default()))
        .collect();
    assert_eq!(keys, [("PK", "HASH"), ("SK", "RANGE")], "{id}: KeySchema");
}

#[test]
fn buckets_are_private_encrypted_versioned_and_expire_objects() {
    let buckets = resources_of_type(template(), "AWS::S3::Bucket");
    assert!(!buckets.is_empty(), "template.yaml has no S3 bucket");
    for (id, bucket) in buckets {
        let props = &bucket["Properties"];
        let block = &props["PublicAccessBlockConfiguration"];
        for setting in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] {
            assert!(is_true(&block[setting]), "{id}: PublicAccessBlockConfiguration.{setting} must be true");
        }
        let encryption = items(&props["BucketEncryption"]["ServerSideEncryptionConfiguration"]);
        assert!(
            !encryption.is_empty()
                && encryption
                    .iter()
                    .all(|rule| !rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"].is_null()),
            "{id}: default encryption (BucketEncryption) must be set"
        );
        assert_eq!(text(&props["VersioningConfiguration"]["Status"]), Some("Enabled"), "{id}: versioning");
        assert!(
            !items(&props["LifecycleConfiguration"]["Rules"]).is_empty(),
            "{id}: needs lifecycle rules, or old versions and abandoned uploads are kept forever"
        );
    }
}

#[test]
fn function_policies_grant_named_actions_only() {
    for (id, resource) in resources_of_type(template(), FUNCTION) {
        for policy in items(&resource["Properties"]["Policies"]) {
            if let Some(name) = text(policy) {
                assert!(
                    !name.ends_with("FullAccess"),
                    "{id}: the managed policy {name} grants far more than one function needs"
                );
            }
            for statement in items(&policy["Statement"]) {
                assert!(
                    statement.get("NotAction").is_none(),
                    "{id}: a statement with NotAction grants every other action"
                );
                for action in items(&statement["Action"]) {
                    let action = text(action).unwrap_or_default();
                    assert!(
                        !action.contains('*'),
                        "{id}: the action {action:?} is a wildcard; name the actions it calls"
                    );
                }
            }
        }
    }
}

#[test]
fn every_function_serves_routes_or_is_a_job_with_its_one_trigger() {
    let t = template();
    for (bin, _) in JOBS {
        assert!(
            !ROUTES.iter().any(|r| r.function == *bin),
            "{bin} is listed as a job but serves a route in ROUTES"
        );
    }
    for (id, resource) in resources_of_type(t, FUNCTION) {
        let bin = binary(resource).unwrap_or_default();
        let events = entries(&resource["Properties"]["Events"]);
        if INVOKED.contains(&bin) {
            assert!(
                !ROUTES.iter().any(|r| r.function == bin),
                "{id} ({bin}) is invoked directly, not a route"
            );
            assert!(events.is_empty(), "{id} ({bin}) is invoked by operators only: no event may start it");
            continue;
        }
        match JOBS.iter().find(|(job, _)| *job == bin) {
            Some((_, kind)) => {
                let kinds: Vec<&str> = events.iter().filter_map(|(_, e)| text(&e["Type"])).collect();
                assert_eq!(kinds, [*kind], "{id} ({bin}) must be started by exactly one {kind} event");
            }
            None => {
                assert!(
                    ROUTES.iter().any(|r| r.function == bin),
                    "{id} ({bin}) serves no route in ROUTES and is not a job in JOBS: nothing would call it"
                );
                assert!(
                    events.iter().all(|(_, e)| text(&e["Type"]) == Some("HttpApi")),
                    "{id}: a route's function has only HttpApi events"
                );
            }
        }
    }
}

#[test]
fn the_bill_run_is_scheduled_monthly_in_the_company_time_zone() {
    let t = template();
    let plan = resource(t, "BillsPlanFunction").expect("a BillsPlanFunction");
    assert_eq!(binary(plan), Some("bills-plan"));
    let events = entries(&plan["Properties"]["Events"]);
    let [(_, event)] = events.as_slice() else { panic!("BillsPlanFunction: one schedule, no other event") };
    assert_eq!(text(&event["Type"]), Some("ScheduleV2"), "an EventBridge Scheduler schedule");
    let props = &event["Properties"];
    assert_eq!(text(&props["ScheduleExpression"]), Some("cron(0 3 5 * ? *)"), "the 5th, 03:00");
    let zone = ref_target(&props["ScheduleExpressionTimezone"]).expect("the time zone is a parameter");
    let config = svet_domain::Config::parse(svet_domain::config::DEFAULT_TOML).unwrap();
    assert_eq!(
        text(&t["Parameters"][zone]["Default"]),
        Some(config.company.time_zone.as_str()),
        "the schedule's default time zone is the configuration's, which decides the billed month"
    );
    let input: serde_json::Value =
        serde_json::from_str(text(&props["Input"]).expect("an Input")).expect("the Input is JSON");
    assert_eq!(
        input["scheduled_time"], "<aws.scheduler.scheduled-time>",
        "the planner bills the month before the scheduled time (svet_functions::bills::period_for)"
    );
    let env = &plan["Properties"]["Environment"]["Variables"];
    assert_eq!(ref_target(&env["BILL_QUEUE_URL"]), Some("BillQueue"), "the planner sends to BillQueue");
    let segments = ref_target(&env["BILL_SEGMENTS"]).expect("BILL_SEGMENTS from a parameter");
    let param = &t["Parameters"][segments];
    assert_eq!(param["Default"].as_u64(), Some(u64::from(svet_functions::bills::DEFAULT_SEGMENTS)));
    assert_eq!(param["MaxValue"].as_u64(), Some(u64::from(svet_functions::bills::MAX_SEGMENTS)));
    assert_eq!(param["MinValue"].as_u64(), Some(1));
    assert_eq!(
        granted(plan),
        [("sqs:SendMessage".to_owned(), "BillQueue.Arn".to_owned())],
        "the planner may only send to BillQueue"
    );
}

#[test]
fn the_bill_queue_feeds_one_segment_per_worker_and_dead_letters_failures() {
    let t = template();
    let work = resource(t, "BillsWorkFunction").expect("a BillsWorkFunction");
    assert_eq!(binary(work), Some("bills-work"));
    let timeout = work["Properties"]["Timeout"].as_u64().expect("the worker sets its Timeout");
    assert!((300..=900).contains(&timeout), "a segment needs minutes; Lambda allows 900 s: {timeout}");
    let events = entries(&work["Properties"]["Events"]);
    let [(_, event)] = events.as_slice() else { panic!("BillsWorkFunction: one SQS event, no other") };
    let props = &event["Properties"];
    assert_eq!(text(&event["Type"]), Some("SQS"));
    assert_eq!(getatt_target(&props["Queue"]).as_deref(), Some("BillQueue.Arn"));
    assert_eq!(props["BatchSize"].as_u64(), Some(1), "one segment per invocation");
    assert_eq!(
        texts(&props["FunctionResponseTypes"]),
        ["ReportBatchItemFailures"],
        "handle_work reports failed messages one by one"
    );
    assert!(
        !props["ScalingConfig"]["MaximumConcurrency"].is_null(),
        "MaximumConcurrency caps the run's DynamoDB, S3 and SES rates"
    );
    let grants = granted(work);
    for action in ["dynamodb:Scan", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"] {
        assert!(grants.contains(&(action.to_owned(), "DataTable.Arn".to_owned())), "worker: {action}");
    }
    for (action, resource) in &grants {
        if action.starts_with("s3:") {
            assert!(
                resource.ends_with("-documents/bills/*"),
                "worker: {action} only under bills/: {resource}"
            );
        }
    }

    let queue = &resource(t, "BillQueue").expect("a BillQueue")["Properties"];
    assert_eq!(text(&resource(t, "BillQueue").unwrap()["Type"]), Some("AWS::SQS::Queue"));
    let visibility = queue["VisibilityTimeout"].as_u64().expect("a VisibilityTimeout");
    assert!(
        visibility >= 6 * timeout,
        "BillQueue: VisibilityTimeout {visibility} s is under six times the worker's {timeout} s (AWS's guidance)"
    );
    let redrive = &queue["RedrivePolicy"];
    assert_eq!(getatt_target(&redrive["deadLetterTargetArn"]).as_deref(), Some("BillDeadLetterQueue.Arn"));
    let receives = redrive["maxReceiveCount"].as_u64().expect("a maxReceiveCount");
    assert!((3..=10).contains(&receives), "maxReceiveCount {receives}: a few retries, then the DLQ");
    let retention = queue["MessageRetentionPeriod"].as_u64().unwrap_or(345_600);
    assert!(
        retention > receives * visibility,
        "BillQueue keeps messages {retention} s, less than {receives} deliveries {visibility} s apart"
    );

    let dlq = &resource(t, "BillDeadLetterQueue").expect("a BillDeadLetterQueue")["Properties"];
    assert_eq!(dlq["MessageRetentionPeriod"].as_u64(), Some(14 * 86_400), "the DLQ keeps messages 14 days");

    let alarms = resources_of_type(t, "AWS::CloudWatch::Alarm");
    let dlq_alarm = alarms.iter().find(|(_, a)| {
        let p = &a["Properties"];
        text(&p["MetricName"]) == Some("ApproximateNumberOfMessagesVisible")
            && items(&p["Dimensions"])
                .iter()
                .any(|d| getatt_target(&d["Value"]).as_deref() == Some("BillDeadLetterQueue.QueueName"))
    });
    let Some((id, alarm)) = dlq_alarm else { panic!("no alarm on BillDeadLetterQueue's depth") };
    let p = &alarm["Properties"];
    assert_eq!(
        (text(&p["ComparisonOperator"]), p["Threshold"].as_u64()),
        (Some("GreaterThanThreshold"), Some(0)),
        "{id}: fires on the first message in the DLQ"
    );
}

#[test]
fn queues_are_encrypted() {
    let queues = resources_of_type(template(), "AWS::SQS::Queue");
    assert!(!queues.is_empty(), "the bill run has its queues");
    for (id, queue) in queues {
        let p = &queue["Properties"];
        assert!(
            is_true(&p["SqsManagedSseEnabled"]) || !p["KmsMasterKeyId"].is_null(),
            "{id}: server-side encryption (SqsManagedSseEnabled or KmsMasterKeyId)"
        );
    }
}

// --- helpers --------------------------------------------------------------------------------

/// A function's policy statements as (action, resource) pairs, the resource as `X.Arn` for a
/// GetAtt, the template text for a Sub.
/// A presigned S3 link works only if the role that signed it may read the object: the
/// functions that hand out links to bills may read `bills/*`, and nothing else in the bucket;
/// The refund sends money back: it talks to the bank with exactly the bank's parameters, reads
/// and writes the table (no scan, no delete), and nothing else.
#[test]
fn the_refund_function_is_invoked_only_and_grants_what_it_uses() {
    let t = template();
    let function = resource(t, "PaymentsRefundFunction").expect("a PaymentsRefundFunction");
    assert_eq!(binary(function), Some("payments-refund"));
    assert!(entries(&function["Properties"]["Events"]).is_empty(), "no event, no HTTP route");
    let variables = &function["Properties"]["Environment"]["Variables"];
    for name in [
        "SBERBANK_URL",
        "SBERBANK_USER_NAME",
        "SBERBANK_PASSWORD_PARAMETER",
        "SBERBANK_CALLBACK_KEY_PARAMETER",
    ] {
        assert!(variables.get(name).is_some(), "PaymentsRefundFunction needs {name}");
    }
    assert!(variables.get("SESSION_KEY_PARAMETER").is_none(), "no session: it serves no customer");
    let grants = granted(function);
    let mut actions: Vec<&str> = grants.iter().map(|(a, _)| a.as_str()).collect();
    actions.dedup();
    assert_eq!(actions, ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "ssm:GetParameters"]);
    for (action, resource) in &grants {
        match action.as_str() {
            "ssm:GetParameters" => assert!(
                resource.ends_with("${SberbankPasswordParameter}")
                    || resource.ends_with("${SberbankCallbackKeyParameter}"),
                "{resource}"
            ),
            _ => assert_eq!(resource, "DataTable.Arn"),
        }
    }
    let alarm = resource(t, "PaymentsRefundErrorsAlarm").expect("an alarm on the refund's errors");
    assert_eq!(ref_target(&alarm["Properties"]["Dimensions"][0]["Value"]), Some("PaymentsRefundFunction"));
}

/// Session cookies are signed with Ed25519 (svet_api::session::SessionKey): only the functions
/// that start a session are given the private key's parameter; every function gets the public
/// key from Globals, which the deploy must name (no default).
#[test]
fn only_the_functions_that_start_sessions_hold_the_private_key() {
    let t = template();
    let holders: Vec<&str> = resources_of_type(t, FUNCTION)
        .into_iter()
        .filter(|(_, f)| f["Properties"]["Environment"]["Variables"].get("SESSION_KEY_PARAMETER").is_some())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(holders, ["ActivateFunction", "LoginFunction"]);
    let public = &t["Globals"]["Function"]["Environment"]["Variables"]["SESSION_PUBLIC_KEY"];
    assert_eq!(ref_target(public), Some("SessionPublicKey"));
    let parameter = &t["Parameters"]["SessionPublicKey"];
    assert!(parameter.get("Default").is_none(), "a deploy names its own key");
    assert_eq!(text(&parameter["AllowedPattern"]), Some("^[A-Za-z0-9_\\-]{43}$"));
}

/// A function reads its secrets at its cold start with one `GetParameters` call
/// (svet_aws::secrets::ssm_secrets): it may read exactly the SSM parameters whose names it is
/// given (`SESSION_KEY_PARAMETER`, `SBERBANK_*_PARAMETER`), with no other SSM action, and a
/// function given none may read none.
#[test]
fn functions_read_exactly_the_ssm_parameters_they_are_given() {
    let mut readers = 0;
    for (id, function) in resources_of_type(template(), FUNCTION) {
        let mut given: Vec<String> = entries(&function["Properties"]["Environment"]["Variables"])
            .into_iter()
            .filter(|(name, _)| name.ends_with("_PARAMETER"))
            .map(|(name, value)| {
                let parameter = ref_target(value).unwrap_or_else(|| panic!("{id}: {name} is not a !Ref"));
                format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter${{{parameter}}}")
            })
            .collect();
        let ssm: Vec<(String, String)> =
            granted(function).into_iter().filter(|(action, _)| action.starts_with("ssm:")).collect();
        for (action, _) in &ssm {
            assert_eq!(action, "ssm:GetParameters", "{id}: secrets are read with GetParameters only");
        }
        let mut readable: Vec<String> = ssm.into_iter().map(|(_, resource)| resource).collect();
        given.sort();
        readable.sort();
        assert_eq!(readable, given, "{id}: the SSM parameters it may read are the ones it is given");
        readers += usize::from(!given.is_empty());
    }
    assert!(readers >= 5, "the session and bank functions read parameters: {readers}");
}

/// `GET /api/bill` also stores the PNG it renders on a bill's first view.
#[test]
fn functions_that_link_to_bills_may_read_them() {
    let t = template();
    for (binary, actions) in
        [("bill-current", &["s3:GetObject", "s3:PutObject"][..]), ("bills-history", &["s3:GetObject"][..])]
    {
        let function = resource(t, &function_id(binary)).expect("the function");
        let grants = granted(function);
        let s3: Vec<_> = grants.iter().filter(|(action, _)| action.starts_with("s3:")).collect();
        assert_eq!(s3.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(), actions, "{binary}");
        for (_, resource) in s3 {
            assert!(resource.ends_with("-documents/bills/*"), "{binary}: {resource}");
        }
    }
}

fn granted(function: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for policy in items(&function["Properties"]["Policies"]) {
        for statement in items(&policy["Statement"]) {
            for action in texts(&statement["Action"]) {
                for resource in items(&statement["Resource"]) {
                    let resource = getatt_target(resource)
                        .or_else(|| match resource {
                            Value::Tagged(tagged) if tagged.tag == "Sub" => {
                                text(&tagged.value).map(str::to_owned)
                            }
                            other => text(other).map(str::to_owned),
                        })
                        .unwrap_or_default();
                    out.push((action.to_owned(), resource));
                }
            }
        }
    }
    out
}

/// `X.Attr` in `!GetAtt X.Attr`, `!GetAtt [X, Attr]` or `{"Fn::GetAtt": [X, Attr]}`.
fn getatt_target(v: &Value) -> Option<String> {
    let arg = match v {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => &tagged.value,
        Value::Mapping(m) if m.len() == 1 => m.get("Fn::GetAtt")?,
        _ => return None,
    };
    match arg {
        Value::String(s) => Some(s.clone()),
        Value::Sequence(seq) => Some(format!("{}.{}", text(seq.first()?)?, text(seq.get(1)?)?)),
        _ => None,
    }
}

/// `registry-import` → `RegistryImportFunction`: the logical id of the binary's function.
fn function_id(binary: &str) -> String {
    let camel: String = binary
        .split(['-', '_'])
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    camel + "Function"
}

/// The binaries in functions/src/bin/: `name.rs`, or `name/main.rs`.
fn binaries() -> BTreeSet<String> {
    let entries = std::fs::read_dir(BINS).unwrap_or_else(|e| panic!("cannot list {BINS}: {e}"));
    entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter_map(|path| {
            let is_bin = path.extension().is_some_and(|e| e == "rs") || path.join("main.rs").is_file();
            is_bin.then(|| path.file_stem()?.to_str().map(str::to_owned)).flatten()
        })
        .collect()
}

/// The front end: pages from a private bucket only CloudFront reads, `/api/*` to the HTTP API
/// uncached with the session cookie and the Origin header, the security headers on both, and
/// the origin-verify value CloudFront sends equal to the one the functions expect.
#[test]
fn the_front_end_serves_pages_and_api_on_one_origin_with_security_headers() {
    let t = template();
    let config =
        &resource(t, "WebDistribution").expect("a WebDistribution")["Properties"]["DistributionConfig"];
    let default = &config["DefaultCacheBehavior"];
    assert_eq!(text(&default["TargetOriginId"]), Some("web"));
    assert_eq!(text(&default["ViewerProtocolPolicy"]), Some("redirect-to-https"));
    let api = items(&config["CacheBehaviors"])
        .into_iter()
        .find(|b| text(&b["PathPattern"]) == Some("/api/*"))
        .expect("a behaviour for /api/*");
    assert_eq!(text(&api["TargetOriginId"]), Some("api"));
    assert_eq!(
        text(&api["CachePolicyId"]),
        Some("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"),
        "API answers are never cached (Managed-CachingDisabled)"
    );
    for method in ["POST", "PUT"] {
        assert!(texts(&api["AllowedMethods"]).contains(&method), "/api/* must allow {method}");
    }
    for behaviour in [default, api] {
        assert!(format!("{:?}", behaviour["ResponseHeadersPolicyId"]).contains("SecurityHeadersPolicy"));
    }
    let origins = items(&config["Origins"]);
    let api_origin = origins.iter().find(|o| text(&o["Id"]) == Some("api")).expect("the api origin");
    assert!(format!("{:?}", api_origin["DomainName"]).contains("HttpApi"), "the api origin is the HTTP API");
    let web_origin = origins.iter().find(|o| text(&o["Id"]) == Some("web")).expect("the web origin");
    assert!(format!("{:?}", web_origin["DomainName"]).contains("WebBucket"));

    let forwarded = &resource(t, "ApiOriginRequestPolicy").expect("an ApiOriginRequestPolicy")["Properties"]
        ["OriginRequestPolicyConfig"];
    assert_eq!(texts(&forwarded["CookiesConfig"]["Cookies"]), ["__Host-svet_session"]);
    let headers = texts(&forwarded["HeadersConfig"]["Headers"]);
    for needed in ["Origin", "Content-Type", "CloudFront-Viewer-Address"] {
        assert!(headers.contains(&needed), "the API needs {needed}: {headers:?}");
    }
    assert!(!headers.iter().any(|h| h.eq_ignore_ascii_case("host")), "Host must stay the API's");

    let sent = items(&api_origin["OriginCustomHeaders"])
        .into_iter()
        .find(|h| text(&h["HeaderName"]) == Some(svet_api::session::ORIGIN_VERIFY_HEADER))
        .expect("CloudFront sends the origin-verify header")["HeaderValue"]
        .clone();
    let expected = &t["Globals"]["Function"]["Environment"]["Variables"]["ORIGIN_VERIFY"];
    assert_eq!(&sent, expected, "the functions must expect what CloudFront sends");

    let headers = &resource(t, "SecurityHeadersPolicy").expect("a SecurityHeadersPolicy")["Properties"]["ResponseHeadersPolicyConfig"]
        ["SecurityHeadersConfig"];
    let csp = text(&headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]).unwrap_or_default();
    for directive in
        ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]
    {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    let hsts = headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"].as_u64().unwrap_or(0);
    assert!(hsts >= 31_536_000, "HSTS for at least a year, not {hsts}");
    assert_eq!(text(&headers["FrameOptions"]["FrameOption"]), Some("DENY"));
    assert!(text(&headers["ReferrerPolicy"]["ReferrerPolicy"]).is_some());

    let policy = &resource(t, "WebBucketPolicy").expect("a WebBucketPolicy")["Properties"]["PolicyDocument"];
    let allows: Vec<&Value> =
        items(&policy["Statement"]).into_iter().filter(|s| text(&s["Effect"]) == Some("Allow")).collect();
    assert_eq!(allows.len(), 1, "only CloudFront may read the pages");
    assert_eq!(text(&allows[0]["Principal"]["Service"]), Some("cloudfront.amazonaws.com"));
    assert_eq!(text(&allows[0]["Action"]), Some("s3:GetObject"));
    assert!(format!("{:?}", allows[0]["Condition"]).contains("WebDistribution"), "only our distribution");
}

fn resource<'t>(t: &'t Value, id: &str) -> Option<&'t Value> {
    t["Resources"].get(id)
}

fn resources_of_type<'t>(t: &'t Value, kind: &str) -> Vec<(&'t str, &'t Value)> {
    entries(&t["Resources"]).into_iter().filter(|(_, r)| text(&r["Type"]) == Some(kind)).collect()
}

fn binary(function: &Value) -> Option<&str> {
    text(&function["Metadata"]["BuildProperties"]["Binary"])
}

fn http_events(function: &Value) -> Vec<(&str, &Value)> {
    entries(&function["Properties"]["Events"])
        .into_iter()
        .filter(|(_, e)| text(&e["Type"]) == Some("HttpApi"))
        .collect()
}

/// A mapping's entries with string keys, in file order; empty for anything else.
fn entries(v: &Value) -> Vec<(&str, &Value)> {
    v.as_mapping().map(|m| m.iter().filter_map(|(k, v)| Some((text(k)?, v))).collect()).unwrap_or_default()
}

/// A sequence's items; a single value is a one-item list (as in IAM's `Action: s3:GetObject`).
fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Null => Vec::new(),
        Value::Sequence(seq) => seq.iter().collect(),
        other => vec![other],
    }
}

/// A plain string: not `!Ref X`, whose `as_str()` would be "X".
fn text(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn texts(v: &Value) -> Vec<&str> {
    items(v).into_iter().filter_map(text).collect()
}

fn is_true(v: &Value) -> bool {
    matches!(v, Value::Bool(true)) || text(v) == Some("true")
}

/// `X` in `!Ref X` or `{Ref: X}`.
fn ref_target(v: &Value) -> Option<&str> {
    match v {
        Value::Tagged(tagged) if tagged.tag == "Ref" => text(&tagged.value),
        Value::Mapping(m) if m.len() == 1 => text(m.get("Ref")?),
        _ => None,
    }
}

/// Every `Ref`, `GetAtt`, `Sub` placeholder, `If` condition and `DependsOn` in the template
/// (short `!Tag` and long `Fn::` forms) that names nothing the template or CloudFormation
/// defines, each as "where: what".
fn dangling_references(t: &Value) -> Vec<String> {
    let names = Names::of(t);
    let mut problems = Vec::new();
    names.walk(t, "", &mut problems);
    problems
}

/// What a name must be: `Ref` and `${Name}` take a resource, a parameter or a pseudo
/// parameter; `GetAtt`, `${Name.Attribute}` and `DependsOn` a resource; `If` a condition.
#[derive(Clone, Copy)]
enum Kind {
    Value,
    Resource,
    Condition,
}

struct Names {
    resources: BTreeSet<String>,
    parameters: BTreeSet<String>,
    conditions: BTreeSet<String>,
}

impl Names {
    fn of(t: &Value) -> Self {
        let keys = |section: &str| {
            entries(&t[section]).into_iter().map(|(k, _)| k.to_owned()).collect::<BTreeSet<_>>()
        };
        let mut resources = keys("Resources");
        // SAM's own resources that a template may name: a function's role when it has none.
        for (id, r) in resources_of_type(t, FUNCTION) {
            if r["Properties"].get("Role").is_none() {
                resources.insert(format!("{id}Role"));
            }
        }
        Names { resources, parameters: keys("Parameters"), conditions: keys("Conditions") }
    }

    /// Records a problem unless `name` is defined as a `kind`.
    fn check(&self, kind: Kind, name: &str, at: &str, problems: &mut Vec<String>) {
        let (exists, what) = match kind {
            Kind::Value => (
                self.resources.contains(name)
                    || self.parameters.contains(name)
                    || PSEUDO_PARAMETERS.contains(&name),
                "resource or parameter",
            ),
            Kind::Resource => (self.resources.contains(name), "resource"),
            Kind::Condition => (self.conditions.contains(name), "condition"),
        };
        if !exists {
            problems.push(format!("{at}: no {what} named {name:?}"));
        }
    }

    fn walk(&self, v: &Value, at: &str, problems: &mut Vec<String>) {
        match v {
            Value::Tagged(tagged) => {
                let function = match tagged.tag.to_string().trim_start_matches('!') {
                    name @ ("Ref" | "Condition") => name.to_owned(),
                    other => format!("Fn::{other}"),
                };
                self.intrinsic(&function, &tagged.value, at, problems);
            }
            Value::Mapping(m) => {
                if let Some((function, arg)) = single_intrinsic(m) {
                    return self.intrinsic(function, arg, at, problems);
                }
                for (key, value) in m {
                    let key = text(key).unwrap_or("?");
                    let here = if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") };
                    match (key, value) {
                        ("DependsOn", _) => {
                            for name in texts(value) {
                                self.check(Kind::Resource, name, &here, problems);
                            }
                        }
                        // A resource's or output's `Condition: Name`; an IAM statement's
                        // Condition is a mapping and is walked like anything else.
                        ("Condition", Value::String(name)) => {
                            self.check(Kind::Condition, name, &here, problems);
                        }
                        _ => self.walk(value, &here, problems),
                    }
                }
            }
            Value::Sequence(seq) => {
                for (i, item) in seq.iter().enumerate() {
                    self.walk(item, &format!("{at}[{i}]"), problems);
                }
            }
            _ => {}
        }
    }

    fn intrinsic(&self, function: &str, arg: &Value, at: &str, problems: &mut Vec<String>) {
        match (function, arg) {
            ("Ref", Value::String(name)) => self.check(Kind::Value, name, at, problems),
            ("Condition", Value::String(name)) => self.check(Kind::Condition, name, at, problems),
            ("Fn::GetAtt", Value::String(target)) => {
                let resource = target.split_once('.').map_or(target.as_str(), |(r, _)| r);
                self.check(Kind::Resource, resource, at, problems);
            }
            ("Fn::GetAtt", Value::Sequence(seq)) => {
                match seq.first().and_then(text) {
                    Some(resource) => self.check(Kind::Resource, resource, at, problems),
                    None => problems.push(format!("{at}: GetAtt without a resource name")),
                }
                for item in seq.iter().skip(1) {
                    self.walk(item, at, problems);
                }
            }
            ("Fn::Sub", Value::String(template)) => {
                self.placeholders(template, &BTreeSet::new(), at, problems);
            }
            // `!Sub [template, {Name: value}]`: the mapping defines names for the template.
            ("Fn::Sub", Value::Sequence(seq)) => {
                let vars = seq.get(1).map(entries).unwrap_or_default();
                let locals = vars.iter().map(|(k, _)| (*k).to_owned()).collect();
                for (name, value) in vars {
                    self.walk(value, &format!("{at}.{name}"), problems);
                }
                match seq.first().and_then(text) {
                    Some(template) => self.placeholders(template, &locals, at, problems),
                    None => problems.push(format!("{at}: Sub without a template string")),
                }
            }
            ("Fn::If", Value::Sequence(seq)) => {
                if let Some(condition) = seq.first().and_then(text) {
                    self.check(Kind::Condition, condition, at, problems);
                }
                for item in seq.iter().skip(1) {
                    self.walk(item, at, problems);
                }
            }
            (_, other) => self.walk(other, at, problems),
        }
    }

    /// `${Name}` and `${Resource.Attribute}` in a Sub template; `${!Literal}` is text.
    fn placeholders(&self, template: &str, locals: &BTreeSet<String>, at: &str, problems: &mut Vec<String>) {
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                problems.push(format!("{at}: an unclosed ${{ in Sub {template:?}"));
                return;
            };
            let name = after[..end].trim();
            rest = &after[end + 1..];
            if name.starts_with('!') || locals.contains(name) {
                continue;
            }
            match name.split_once('.') {
                Some((resource, _)) => self.check(Kind::Resource, resource, at, problems),
                None => self.check(Kind::Value, name, at, problems),
            }
        }
    }
}

/// `{Ref: X}`, `{"Fn::GetAtt": ...}` and the like: a one-key mapping whose key is an
/// intrinsic function.
fn single_intrinsic(m: &Mapping) -> Option<(&str, &Value)> {
    let (key, arg) = m.iter().next().filter(|_| m.len() == 1)?;
    let key = text(key)?;
    (key == "Ref" || key.starts_with("Fn::")).then_some((key, arg))
}

/// ASVS 5.4.3: the release profile (the Lambda bootstraps, the local server) keeps overflow
/// checks on in every crate of ours that ships, so an overlooked overflow panics rather than
/// wrapping silently. A crate added to the workspace without them fails here.
#[test]
fn release_builds_check_overflow_in_every_crate() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let manifest = std::fs::read_to_string(format!("{root}/Cargo.toml")).unwrap();
    let members: Vec<&str> = manifest
        .split("members = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("the workspace's members")
        .lines()
        .filter_map(|line| line.split('"').nth(1))
        .collect();
    assert!(members.len() >= 9, "{members:?}");
    let checked: Vec<&str> = manifest
        .split("[profile.release.package.")
        .skip(1)
        .filter_map(|section| {
            let (name, body) = section.split_once(']')?;
            let body = body.split("\n[").next().unwrap_or_default();
            body.lines().any(|line| line.replace(' ', "") == "overflow-checks=true").then_some(name)
        })
        .collect();
    for member in members {
        let package = std::fs::read_to_string(format!("{root}/{member}/Cargo.toml")).unwrap();
        let name = package
            .lines()
            .find_map(|line| line.strip_prefix("name = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or_else(|| panic!("{member}: no package name"));
        if name == "svet-tests" {
            continue; // tests only, never built for release
        }
        assert!(
            checked.contains(&name),
            "{name} ({member}): no overflow-checks = true in [profile.release.package.{name}]"
        );
    }
}
