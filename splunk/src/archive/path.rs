//! Member names: sanitising (separators, `.`, `..`, absolute paths), macOS debris, and where a file
//! sits in a Splunk app (app, layer, conf type).

use super::Layer;

/// What to do with a member name.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Name {
    /// A clean relative path: `/`-separated, no empty, `.` or `..` components.
    Clean(String),
    /// `..` or absolute: the archive is rejected.
    Escapes,
}

/// Normalises a member name. `\` counts as a separator (zip from Windows; also the safe reading).
pub(crate) fn clean(raw: &str) -> Name {
    let unified = raw.replace('\\', "/");
    let bytes = unified.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if unified.starts_with('/') || drive {
        return Name::Escapes;
    }
    let mut parts = Vec::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => return Name::Escapes,
            _ => parts.push(part),
        }
    }
    Name::Clean(parts.join("/"))
}

/// `__MACOSX/…` and AppleDouble `._*` files: binary, even when they end in `.conf`.
pub(crate) fn is_mac_debris(path: &str) -> bool {
    let mut parts = path.split('/');
    let last = path.rsplit('/').next().unwrap_or(path);
    parts.any(|p| p == "__MACOSX") || last.starts_with("._")
}

/// `*.conf` and `*.meta` files (`*.conf.spec` does not end in `.conf`).
pub(crate) fn is_wanted(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    (last.ends_with(".conf") && last.len() > 5) || (last.ends_with(".meta") && last.len() > 5)
}

/// Names of app packages, which are opened when found inside the archive (the content decides the
/// format, as for the archive itself; `.spl` is Splunk's name for a gzipped tar).
const PACKAGE_SUFFIXES: &[&str] = &[".tgz", ".tar.gz", ".tar", ".spl", ".zip"];

/// A file named like an app package (ASCII case ignored: `Splunk_TA_x.TGZ` is one too).
pub(crate) fn is_package(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    PACKAGE_SUFFIXES
        .iter()
        .any(|suffix| last.len() > suffix.len() && last.ends_with(suffix))
}

/// Folders that only occur directly inside an app: the component before one is the app's folder.
const APP_SUBFOLDERS: &[&str] = &[
    "default",
    "local",
    "metadata",
    "bin",
    "lookups",
    "static",
    "appserver",
    "lib",
    "data",
    "README",
];

/// Where a file sits: its app, layer and conf type.
pub(crate) fn locate(path: &str) -> (Option<String>, Layer, String) {
    let parts: Vec<&str> = path.split('/').collect();
    let (dirs, file) = parts.split_at(parts.len() - 1);
    let conf_type = if file[0].ends_with(".meta") {
        "meta"
    } else {
        file[0].trim_end_matches(".conf")
    };
    let layer = match dirs.last().copied() {
        Some("default") => Layer::Default,
        Some("local") => Layer::Local,
        Some("metadata") => Layer::Metadata,
        _ => Layer::Other,
    };
    (app(dirs), layer, conf_type.to_owned())
}

/// The app folder: `etc/system` is `system`; else the folder above the first app subfolder
/// (`default/`, `local/`, `bin/`, …); else the top folder; `None` when the archive has no top folder.
fn app(dirs: &[&str]) -> Option<String> {
    if dirs.windows(2).any(|w| w == ["etc", "system"]) {
        return Some("system".into());
    }
    match dirs.iter().position(|d| APP_SUBFOLDERS.contains(d)) {
        Some(0) => None,
        Some(i) => Some(dirs[i - 1].to_owned()),
        None => dirs.first().map(|d| (*d).to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_empty_components_are_dropped() {
        assert_eq!(
            clean("./app//default/./props.conf"),
            Name::Clean("app/default/props.conf".into())
        );
    }

    #[test]
    fn dotdot_absolute_and_drive_paths_escape() {
        for bad in [
            "../x.conf",
            "a/../../x",
            "/etc/passwd",
            "C:\\x.conf",
            "a\\..\\..\\x",
        ] {
            assert_eq!(clean(bad), Name::Escapes, "{bad}");
        }
    }

    #[test]
    fn backslash_is_a_separator() {
        assert_eq!(
            clean("app\\default\\props.conf"),
            Name::Clean("app/default/props.conf".into())
        );
    }

    #[test]
    fn spec_files_are_not_wanted() {
        assert!(!is_wanted("a/README/props.conf.spec") && is_wanted("a/default/props.conf"));
        assert!(is_wanted("a/metadata/default.meta") && !is_wanted("a/.conf"));
    }

    #[test]
    fn package_names_are_recognised_by_their_suffix() {
        for name in ["install/a.tgz", "a.tar.gz", "b.TAR", "x/y.spl", "c.Zip"] {
            assert!(is_package(name), "{name}");
        }
        for name in ["a/default/props.conf", "a/.tgz", "a/x.tgz.sig", "a/zip"] {
            assert!(!is_package(name), "{name}");
        }
    }

    #[test]
    fn layouts_locate_app_layer_and_type() {
        let cases = [
            (
                "TA-x/default/props.conf",
                Some("TA-x"),
                Layer::Default,
                "props",
            ),
            ("default/props.conf", None, Layer::Default, "props"),
            (
                "etc/apps/A/local/transforms.conf",
                Some("A"),
                Layer::Local,
                "transforms",
            ),
            (
                "etc/system/local/inputs.conf",
                Some("system"),
                Layer::Local,
                "inputs",
            ),
            (
                "etc/system/default/props.conf",
                Some("system"),
                Layer::Default,
                "props",
            ),
            (
                "A/metadata/default.meta",
                Some("A"),
                Layer::Metadata,
                "meta",
            ),
            (
                "A/bin/nginx/default.conf",
                Some("A"),
                Layer::Other,
                "default",
            ),
        ];
        for (path, app, layer, conf) in cases {
            assert_eq!(
                locate(path),
                (app.map(String::from), layer, conf.to_owned()),
                "{path}"
            );
        }
    }
}
