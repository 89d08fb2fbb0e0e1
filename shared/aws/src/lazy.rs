//! A service client given built, or built on its first use. A Lambda function gets every
//! adapter (App), but most never send mail or touch the bucket; building an SDK client costs a
//! cold start a fraction of a millisecond (its endpoint rules and runtime plugins), so the S3
//! and SES clients of a function are built when it first needs them.

use std::sync::{Arc, OnceLock};

#[derive(Clone)]
pub(crate) enum ServiceClient<C> {
    Ready(C),
    OnFirstUse(Arc<OnFirstUse<C>>),
}

pub(crate) struct OnFirstUse<C> {
    client: OnceLock<C>,
    config: aws_config::SdkConfig,
    build: fn(&aws_config::SdkConfig) -> C,
}

impl<C> ServiceClient<C> {
    pub(crate) fn on_first_use(
        config: &aws_config::SdkConfig,
        build: fn(&aws_config::SdkConfig) -> C,
    ) -> Self {
        ServiceClient::OnFirstUse(Arc::new(OnFirstUse {
            client: OnceLock::new(),
            config: config.clone(),
            build,
        }))
    }

    pub(crate) fn get(&self) -> &C {
        match self {
            ServiceClient::Ready(client) => client,
            ServiceClient::OnFirstUse(lazy) => lazy.client.get_or_init(|| (lazy.build)(&lazy.config)),
        }
    }
}
