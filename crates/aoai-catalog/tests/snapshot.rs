//! The bundled snapshot is exactly the fixture data it claims to hold.

use std::path::PathBuf;

use aoai_catalog::retail::parse_items;
use aoai_catalog::snapshot;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture_batches() -> Vec<(String, Vec<aoai_catalog::retail::RetailItem>)> {
    let dir = repository().join("tests/fixtures/retail-prices");
    let read = |name: &str| {
        parse_items(&std::fs::read_to_string(dir.join(name)).expect("fixture readable")).expect("fixture parses")
    };
    let mut recent = Vec::new();
    for region in ["eastus2", "swedencentral", "westeurope"] {
        recent.extend(read(&format!("foundry_models_{region}_2026-08-15.json")));
    }
    vec![
        (
            "2025-08-25".to_owned(),
            read("cognitive_services_azure_openai_all_regions_2025-08-25.ndjson"),
        ),
        ("2026-08-15".to_owned(), recent),
    ]
}

#[test]
fn snapshot_matches_fixtures() {
    let expected = snapshot::render_batches(&fixture_batches()).expect("render");
    if std::env::var_os("UPDATE_SNAPSHOT").is_some() {
        let bytes = snapshot::compress(&expected).expect("compress");
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshot/retail-prices.ndjson.gz");
        std::fs::write(&path, bytes).expect("write snapshot");
        println!("wrote {}", path.display());
        return;
    }
    let bundled = snapshot::bundled_text().expect("bundled snapshot reads");
    assert!(
        bundled == expected,
        "bundled snapshot differs from the fixtures; run UPDATE_SNAPSHOT=1 cargo test -p aoai-catalog --test snapshot"
    );
}

#[test]
fn saved_catalog_matches_rows() {
    use std::io::{Read, Write};

    let built = snapshot::catalog_from_rows().expect("catalog builds from the rows");
    let expected = built.to_saved().expect("catalog encodes");
    if std::env::var_os("UPDATE_SNAPSHOT").is_some() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&expected).expect("compress");
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshot/catalog.postcard.gz");
        std::fs::write(&path, encoder.finish().expect("compress")).expect("write catalog");
        println!("wrote {}", path.display());
        return;
    }
    let mut bundled = Vec::new();
    flate2::read::GzDecoder::new(snapshot::bundled_catalog_saved())
        .read_to_end(&mut bundled)
        .expect("bundled catalog decompresses");
    assert!(
        bundled == expected,
        "bundled catalog differs from a build of the bundled rows; run UPDATE_SNAPSHOT=1 cargo test -p aoai-catalog --test snapshot"
    );

    // The decoded catalog answers exactly as the built one.
    let decoded = snapshot::bundled_catalog().expect("bundled catalog decodes");
    assert_eq!(decoded.entries(), built.entries());
    assert_eq!(decoded.rejected(), built.rejected());
    assert_eq!(decoded.stats(), built.stats());
}

#[test]
fn bundled_catalog_has_every_region() {
    let catalog = snapshot::bundled_catalog().expect("bundled catalog builds");
    let stats = catalog.stats();
    println!("bundled catalog: {stats:?}");
    // 40 regions in the 2025 data, less usgovtexas (no token meters) and the empty region of the free meter.
    assert_eq!(
        catalog.regions().count(),
        38,
        "regions: {:?}",
        catalog.regions().collect::<Vec<_>>()
    );
    assert!(stats.token_prices > 7_500, "{stats:?}");
    assert!(stats.rejected * 100 < stats.rows, "{stats:?}");
}
