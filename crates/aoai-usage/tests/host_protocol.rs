//! The usage app's functions, sent as the Functions host forwards them.

#[tokio::test]
async fn every_declared_route_is_served() {
    let (binary, routes) = aoai_conformance::app_routes("usage-app").expect("the app mapping");
    assert_eq!(
        binary, "aoai-usage",
        "functions/apps.json packages the usage app with this binary"
    );
    assert!(!routes.is_empty());
    let dir = std::env::temp_dir().join(format!("aoai-usage-host-{}", std::process::id()));
    let env = [
        ("USAGE_STORE", dir.join("usage.db").display().to_string()),
        ("PRICING_CACHE_PATH", dir.join("prices").display().to_string()),
    ];
    let handler = aoai_conformance::start(std::path::Path::new(env!("CARGO_BIN_EXE_aoai-usage")), &env).await;
    let failures = aoai_conformance::unserved(&handler, &routes).await;
    assert!(failures.is_empty(), "{failures:#?}");
    let _ = std::fs::remove_dir_all(dir);
}
