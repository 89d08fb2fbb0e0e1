//! The mail contract: the outbox and SES (through moto) send the same MIME; each test reads
//! the message back from where it went and checks what the recipient would see.

use std::sync::Arc;

use mail_parser::{MessageParser, MimeHeaders};
use svet_domain::SequentialIds;
use svet_domain::mail::{Attachment, Mail, MailError, Mailer};

use crate::helpers::{clock, sdk, unique};

const FROM: &str = "Личный кабинет <no-reply@svet.example>";

fn bill_mail(token: &str) -> Mail {
    Mail {
        to: format!("ivanov+{token}@list.ru"),
        subject: format!("Счёт за январь 2026 {token}"),
        text: "Здравствуйте! Счёт во вложении. Ссылка: https://svet.example/bill".into(),
        html: Some("<p>Здравствуйте! Счёт во <b>вложении</b>.</p>".into()),
        attachments: vec![Attachment {
            filename: "schet-2026-01.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.7 \x00\xff binary".to_vec(),
        }],
    }
}

fn check_received(raw: &[u8], token: &str) {
    let message = MessageParser::default().parse(raw).expect("valid MIME");
    assert_eq!(message.subject(), Some(format!("Счёт за январь 2026 {token}").as_str()));
    assert_eq!(
        message.to().and_then(|a| a.first()).and_then(|a| a.address()),
        Some(format!("ivanov+{token}@list.ru").as_str())
    );
    assert_eq!(
        message.from().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("no-reply@svet.example")
    );
    assert!(message.body_text(0).unwrap().contains("Счёт во вложении"));
    assert!(message.body_html(0).unwrap().contains("<b>вложении</b>"));
    let attachment = message.attachments().next().expect("the attachment");
    assert_eq!(attachment.attachment_name(), Some("schet-2026-01.pdf"));
    assert_eq!(attachment.contents(), b"%PDF-1.7 \x00\xff binary");
}

#[tokio::test]
async fn outbox_mail() {
    let dir = tempfile::tempdir().unwrap();
    let mailer =
        svet_embedded::OutboxMailer::open(dir.path(), FROM, clock(), Arc::new(SequentialIds::default()))
            .unwrap();
    let id = mailer.send(&bill_mail("t1")).await.unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(name, format!("20260215T100000.000Z-{id}.eml"));
    check_received(&std::fs::read(&files[0]).unwrap(), "t1");

    let bad = Mail { to: "not an address".into(), ..bill_mail("t2") };
    assert!(matches!(mailer.send(&bad).await, Err(MailError::Rejected(_))));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing written for a refused message");
}

#[tokio::test]
async fn ses_mail() {
    let sdk = sdk().await;
    let client = svet_aws::sesv2_client::Client::new(&sdk);
    client.create_email_identity().email_identity("no-reply@svet.example").send().await.unwrap();
    let mailer = svet_aws::SesMailer::new(client.clone(), FROM, Arc::new(SequentialIds::default()));
    let token = unique("t");
    let id = mailer.send(&bill_mail(&token)).await.unwrap();
    assert!(!id.is_empty(), "SES gives a message id");

    let data = crate::helpers::moto_data().await;
    let raw = data["ses"]["RawMessage"]
        .as_array()
        .expect("moto lists raw messages")
        .iter()
        .filter_map(|m| m["raw_data"].as_str())
        .find(|raw| raw.contains(&token))
        .expect("the message reached SES");
    check_received(raw.as_bytes(), &token);

    let stranger = svet_aws::SesMailer::new(
        client,
        "Чужой <nobody@unverified.example>",
        Arc::new(SequentialIds::default()),
    );
    let refused = stranger.send(&bill_mail("t3")).await;
    assert!(matches!(refused, Err(MailError::Rejected(_))), "an unverified sender is refused: {refused:?}");
}
