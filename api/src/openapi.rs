//! The OpenAPI 3 document, generated from the route annotations and schema derives.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{dead, health, runs, settings, tasks, uploads, views, worker};

/// Every route and schema of the API.
#[derive(OpenApi)]
#[openapi(
    info(title = "confq API", description = "Uploads of Splunk configuration archives, run status, worker metrics, parsed files and stanzas, effective configurations and diffs, dead letters, tasks by id (state, result, cancel)."),
    paths(
        uploads::upload,
        worker::status, worker::metrics, worker::retry,
        runs::list_runs, runs::list_files, runs::list_stanzas, settings::search,
        dead::list, dead::requeue, dead::purge,
        tasks::show, tasks::cancel,
        views::effective, views::diff,
        health::healthz, health::readyz, health::prometheus, health::openapi,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme referenced by the mutating routes.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
