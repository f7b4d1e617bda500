//! The pricing app's functions, sent as the Functions host forwards them.

#[tokio::test]
async fn every_declared_route_is_served() {
    let (binary, routes) = aoai_conformance::app_routes("pricing-app").expect("the app mapping");
    assert_eq!(
        binary, "aoai-pricing",
        "functions/apps.json packages the pricing app with this binary"
    );
    assert!(!routes.is_empty());
    let handler = aoai_conformance::start(std::path::Path::new(env!("CARGO_BIN_EXE_aoai-pricing")), &[]).await;
    let failures = aoai_conformance::unserved(&handler, &routes).await;
    assert!(failures.is_empty(), "{failures:#?}");

    // The check can fail: this binary does not serve the usage app's routes.
    let (_, others) = aoai_conformance::app_routes("usage-app").expect("the app mapping");
    let failures = aoai_conformance::unserved(&handler, &others).await;
    assert_eq!(failures.len(), others.len(), "{failures:#?}");
}
