//! `cargo xtask package` end to end: the staged apps' layout, the glibc their binaries need,
//! and the host protocol against the staged binaries.

use std::path::Path;

/// Packages into a folder of the build directory, so the repository's `dist/` is untouched.
fn staged() -> Vec<std::path::PathBuf> {
    let root = xtask::repository_root();
    let mut options = xtask::Options::new(&root);
    options.out = options.target_dir.join("dist-test");
    xtask::package(&root, &options).expect("packaging succeeds")
}

#[tokio::test]
async fn staged_apps_run_on_the_functions_hosts() {
    let root = xtask::repository_root();
    let apps = xtask::apps(&root).expect("apps.json");
    let dirs = tokio::task::spawn_blocking(staged).await.expect("task");
    assert_eq!(dirs.len(), apps.len());
    for (app, dir) in apps.iter().zip(&dirs) {
        assert!(dir.ends_with(&app.name), "{}", dir.display());
        let host: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("host.json")).expect("host.json")).expect("JSON");
        assert_eq!(
            host["customHandler"]["description"]["defaultExecutablePath"],
            app.binary.as_str()
        );
        assert_eq!(host["customHandler"]["enableForwardingHttpRequest"], true);
        for function in &app.functions {
            assert!(
                dir.join(function).join("function.json").is_file(),
                "{}: {function}",
                app.name
            );
        }
        assert!(dir.join(".funcignore").is_file());
        let binary = dir.join(&app.binary);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&binary).expect("binary").permissions().mode();
            assert_eq!(mode & 0o111, 0o111, "{} is executable", binary.display());
        }
        let glibc = xtask::highest_glibc(&binary).expect("objdump");
        let (major, minor) = glibc.expect("the binary links glibc");
        assert!(
            (major, minor) <= (2, 31),
            "{} needs GLIBC_{major}.{minor}, newer than 2.31",
            app.binary
        );

        // The staged binary, run from its app folder, serves every route the app declares.
        let (_, routes) = aoai_conformance::app_routes(&app.name).expect("routes");
        let scratch = std::env::temp_dir().join(format!("aoai-package-{}-{}", std::process::id(), app.name));
        let env = [
            ("USAGE_STORE", scratch.join("usage.db").display().to_string()),
            ("PRICING_CACHE_PATH", scratch.join("prices").display().to_string()),
        ];
        let handler = aoai_conformance::start_in(dir, &binary, &env).await;
        let failures = aoai_conformance::unserved(&handler, &routes).await;
        assert!(failures.is_empty(), "{}: {failures:#?}", app.name);
        let _ = std::fs::remove_dir_all(scratch);
    }
    assert!(Path::new(&dirs[0]).exists());
}
