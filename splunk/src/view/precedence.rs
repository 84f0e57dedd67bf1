//! Which files take part in the global context, and in which order they win.

/// The app name the archive reader gives to `etc/system` (and to a top-level `system/` folder).
pub const SYSTEM_APP: &str = "system";

/// The four precedence tiers of Splunk's global context, highest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// `etc/system/local`.
    SystemLocal,
    /// Every app's `local/`.
    AppLocal,
    /// Every app's `default/`.
    AppDefault,
    /// `etc/system/default`.
    SystemDefault,
}

/// The tier of a file, from its stored `app`, `layer` and path; `None` for a file the global
/// context ignores: `metadata/` and `other` layers (`.meta` permissions, an nginx `default.conf`
/// under `bin/`) and anything under `etc/users/` (a user's private context).
pub fn tier(app: Option<&str>, layer: &str, source_path: &str) -> Option<Tier> {
    if in_user_context(source_path) {
        return None;
    }
    let system = app == Some(SYSTEM_APP);
    match (system, layer) {
        (true, "local") => Some(Tier::SystemLocal),
        (false, "local") => Some(Tier::AppLocal),
        (false, "default") => Some(Tier::AppDefault),
        (true, "default") => Some(Tier::SystemDefault),
        _ => None,
    }
}

/// True for `…/etc/users/<user>/<app>/…`: btool's global context does not read user folders.
fn in_user_context(path: &str) -> bool {
    let mut parts = path.split(['/', '!']);
    let mut previous = parts.next();
    for part in parts {
        if previous == Some("etc") && part == "users" {
            return true;
        }
        previous = Some(part);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_map_to_tiers_and_other_files_are_left_out() {
        let cases = [
            (
                Some("system"),
                "local",
                "etc/system/local/props.conf",
                Some(Tier::SystemLocal),
            ),
            (
                Some("A"),
                "local",
                "A/local/props.conf",
                Some(Tier::AppLocal),
            ),
            (
                None,
                "default",
                "default/props.conf",
                Some(Tier::AppDefault),
            ),
            (
                Some("system"),
                "default",
                "etc/system/default/props.conf",
                Some(Tier::SystemDefault),
            ),
            (Some("A"), "metadata", "A/metadata/local.meta", None),
            (Some("A"), "other", "A/bin/nginx/default.conf", None),
            (
                Some("search"),
                "local",
                "etc/users/admin/search/local/props.conf",
                None,
            ),
        ];
        for (app, layer, path, want) in cases {
            assert_eq!(tier(app, layer, path), want, "{path}");
        }
    }

    #[test]
    fn a_folder_merely_named_users_is_an_app() {
        assert_eq!(
            tier(Some("users"), "default", "users/default/props.conf"),
            Some(Tier::AppDefault)
        );
    }
}
