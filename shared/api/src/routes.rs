//! The one route table. The Lambda binaries pick their route from it, the local server mounts
//! all of it, and a test holds it against template.yaml.

use crate::handlers::{company, health};
use crate::{Route, route};

pub const HEALTH: Route = route!("health", GET, "/api/health", health::get);
pub const COMPANY: Route = route!("company", GET, "/api/company", company::get);

pub const ROUTES: &[Route] = &[HEALTH, COMPANY];
