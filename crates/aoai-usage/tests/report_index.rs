//! The report over the in-memory index, which sums records before pricing them, against
//! pricing every stored row one by one. The two must agree to the last digit. The data has a
//! price change, and calls that are unattributed, without usage or under a parent span.

use std::path::Path;

use aoai_catalog::Catalog;
use aoai_catalog::overrides::Overrides;
use aoai_catalog::retail::RetailItem;
use aoai_core::{Currency, DeploymentType, TokenUsage};
use aoai_usage::deployments::DeploymentCatalog;
use aoai_usage::directory::Directory;
use aoai_usage::ingest::Batch;
use aoai_usage::record::{SpanLink, UsageRecord, UsageSource};
use aoai_usage::report::{
    Aggregator, Assumptions, ParamDefaults, PriceProvenance, Resolver, UsageParams, aggregate, to_json,
};
use aoai_usage::store::{ReadQuery, Store};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;

const FIXTURE: &str = "../../tests/fixtures/retail-prices/subset_eastus2_key_models_2026-08-15.ndjson";

fn items(text: &str) -> Vec<RetailItem> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("fixture row"))
        .collect()
}

/// Builds the fixture's prices, and on 2026-11-10 a new price for every gpt-4o-mini row, so that
/// November has a price change in the middle.
fn catalog_with_change() -> Catalog {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)).expect("fixture");
    let first = items(&text);
    let changed_at = "2026-11-10T00:00:00Z";
    let second: Vec<RetailItem> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut row: Value = serde_json::from_str(line).expect("fixture row");
            if row["meterName"].as_str().is_some_and(|name| name.contains("4o mini")) {
                let price = row["retailPrice"].as_f64().expect("price");
                #[allow(clippy::float_arithmetic)]
                let doubled = price * 2.0;
                row["retailPrice"] = serde_json::json!(doubled);
                row["unitPrice"] = serde_json::json!(doubled);
                row["effectiveStartDate"] = serde_json::json!(changed_at);
            }
            serde_json::from_value(row).expect("changed row")
        })
        .collect();
    let at = |text: &str| text.parse::<DateTime<Utc>>().expect("time");
    let catalog = Catalog::build([(at("2026-08-15T00:00:00Z"), first), (at(changed_at), second)]);
    assert!(!catalog.is_empty());
    catalog
}

const DEPLOYMENTS: &str = r#"{"account": "a", "location": "eastus2", "deployments": [
  {"name": "chat", "sku": {"name": "GlobalStandard"}, "properties": {"model": {"name": "gpt-4o", "version": "2024-11-20"}}},
  {"name": "mini", "sku": {"name": "GlobalStandard"}, "properties": {"model": {"name": "gpt-4o-mini", "version": "2024-07-18"}}},
  {"name": "mini-dz", "sku": {"name": "DataZoneStandard"}, "properties": {"model": {"name": "gpt-4o-mini", "version": "2024-07-18"}}},
  {"name": "ptu", "sku": {"name": "GlobalProvisionedManaged"}, "properties": {"model": {"name": "gpt-4o", "version": "2024-11-20"}}}
]}"#;

/// November 2026 in records every 7 minutes: 5 users, one of them in upper case, calls
/// without a user, with a parent span, without usage, estimated, and on an unknown deployment.
fn records() -> (Vec<UsageRecord>, Vec<SpanLink>) {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("time");
    let deployments = ["chat", "mini", "mini-dz", "ptu", "unlisted"];
    let mut records = Vec::new();
    for index in 0..6_200u64 {
        let user = match index % 11 {
            0 => None,
            1 => Some("USER-1".to_owned()),
            other => Some(format!("user-{}", other % 5)),
        };
        let usage = (index % 13 != 0).then(|| TokenUsage {
            input: 1_000 + index * 7 % 5_000,
            cached_input: index % 3 * 100,
            output: 50 + index % 700,
            reasoning: 0,
        });
        records.push(UsageRecord {
            source: UsageSource::Otel,
            time: start + Duration::minutes(i64::try_from(index * 7).expect("minutes")),
            parent_span: (index % 17 == 0).then(|| "agent-span".to_owned()),
            user,
            deployment: Some(deployments[usize::try_from(index % 5).expect("index")].to_owned()),
            response_model: (index % 5 == 4).then(|| "gpt-4o-2024-08-06".to_owned()),
            service_tier: (index % 19 == 0).then(|| "priority".to_owned()),
            provider: None,
            subscription: None,
            metric: None,
            requests: if index % 23 == 0 { 3 } else { 1 },
            usage,
            estimated: index % 23 == 0,
        });
    }
    let spans = vec![SpanLink {
        span_id: "agent-span".to_owned(),
        parent_span: None,
        user: Some("agent-owner".to_owned()),
    }];
    (records, spans)
}

struct Fixture {
    store: Store,
    deployments: DeploymentCatalog,
    directory: Directory,
    catalog: Catalog,
    overrides: Overrides,
    assumptions: Assumptions,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        Fixture::with(name, catalog_with_change(), DEPLOYMENTS)
    }

    fn with(name: &str, catalog: Catalog, deployments: &str) -> Fixture {
        let dir = std::env::temp_dir().join(format!("aoai-report-index-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&dir.join("usage.db")).expect("store");
        let (records, spans) = records();
        // Out of time order, in two batches, as exporters that retry send them.
        let (late, early) = records.split_at(records.len() / 2);
        for part in [early, late] {
            store
                .write(&Batch {
                    records: part.to_vec(),
                    spans: spans.clone(),
                    received: part.len(),
                    ..Batch::default()
                })
                .expect("write");
        }
        Fixture {
            store,
            deployments: DeploymentCatalog::from_deployments(
                DeploymentCatalog::parse(deployments, "test", "eastus2").expect("catalog"),
            )
            .expect("deployments"),
            directory: Directory::default(),
            catalog,
            overrides: Overrides::default(),
            assumptions: Assumptions {
                deployment_type: DeploymentType::Global,
                region: "eastus2".to_owned(),
            },
        }
    }

    fn resolver(&self) -> Resolver<'_> {
        Resolver::new(
            &self.deployments,
            &self.directory,
            &self.catalog,
            &self.overrides,
            Currency::USD,
            &self.assumptions,
        )
    }

    fn params(&self, query: &str) -> UsageParams {
        let defaults = ParamDefaults {
            source: UsageSource::Otel,
            currency: Currency::USD,
            max_range_days: 400,
        };
        UsageParams::parse(Some(query), defaults, Utc::now()).expect("parameters")
    }

    fn json(&self, params: &UsageParams, totals: &aoai_usage::report::Totals) -> Value {
        let provenance = PriceProvenance {
            source: "test",
            as_of: DateTime::<Utc>::UNIX_EPOCH,
            stale: false,
        };
        to_json(params, totals, false, &provenance).expect("JSON")
    }

    /// Returns the report through `aggregate`, which uses the index in memory.
    fn indexed(&self, query: &str) -> Value {
        let params = self.params(query);
        let totals = aggregate(&self.store, &mut self.resolver(), &params).expect("aggregate");
        self.json(&params, &totals)
    }

    /// Returns the report from the stored rows as a query API would return them, summed by
    /// `compressed_query_rows` before pricing, as the Azure backends do.
    fn query_rows_summed(&self, query: &str) -> Value {
        let params = self.params(query);
        let mut rows = Vec::new();
        let read = ReadQuery {
            source: params.source,
            from: params.from,
            to: params.to,
        };
        self.store.read_rows(&read, |row| rows.push(row)).expect("rows");
        // One row with impossible counts, which must pass through to be reported.
        let mut impossible = rows.iter().find(|row| row.requests > 0).expect("a priced row").clone();
        impossible.cached_input_tokens = impossible.input_tokens + 1;
        rows.push(impossible);
        let changes = aoai_usage::report::price_changes(&self.catalog);
        let mut resolver = self.resolver();
        let mut aggregator = Aggregator::new(&params);
        for row in &aoai_usage::report::compressed_query_rows(&rows, &params, &changes) {
            aggregator.add_row(&mut resolver, row);
        }
        let summed = self.json(&params, &aggregator.finish());

        let mut resolver = self.resolver();
        let mut aggregator = Aggregator::new(&params);
        for row in &rows {
            aggregator.add_row(&mut resolver, row);
        }
        assert_eq!(summed, self.json(&params, &aggregator.finish()), "{query}");
        summed
    }

    /// Returns the report with every stored row resolved and priced on its own.
    fn row_by_row(&self, query: &str) -> Value {
        let params = self.params(query);
        let mut resolver = self.resolver();
        let mut aggregator = Aggregator::new(&params);
        let read = ReadQuery {
            source: params.source,
            from: params.from,
            to: params.to,
        };
        self.store
            .read_rows(&read, |row| aggregator.add_row(&mut resolver, &row))
            .expect("rows");
        self.json(&params, &aggregator.finish())
    }
}

#[test]
fn indexed_report_equals_row_by_row() {
    let fixture = Fixture::new("equal");
    let period = "from=2026-11-01&to=2026-12-01";
    for query in [
        format!("{period}&group_by=user"),
        format!("{period}&group_by=user,day"),
        format!("{period}&group_by=user,day&tz=Asia/Kathmandu"),
        format!("{period}&group_by=model,version,deployment_type,tier&tz=America/New_York"),
        format!("{period}&group_by=hour&tz=Australia/Lord_Howe"),
        format!("{period}&group_by=month,deployment"),
        format!("{period}&group_by=user&user=USER-1&user=agent-owner"),
        "from=2026-11-09&to=2026-11-12&group_by=deployment,day".to_owned(),
    ] {
        let indexed = fixture.indexed(&query);
        let expected = fixture.row_by_row(&query);
        assert_eq!(indexed, expected, "{query}");
        let summed = fixture.query_rows_summed(&query);
        assert_eq!(summed["data_quality"]["rejected"], 1, "{query}");
    }

    // The price change splits the month: mini costs twice as much from 2026-11-10 on.
    let before = fixture.indexed("from=2026-11-03&to=2026-11-10&group_by=deployment");
    let after = fixture.indexed("from=2026-11-10&to=2026-11-17&group_by=deployment");
    let cost = |body: &Value, deployment: &str| -> String {
        body["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|row| row["deployment"] == deployment)
            .map(|row| row["cost"].as_str().expect("cost").to_owned())
            .expect("row")
    };
    assert_ne!(cost(&before, "mini"), cost(&after, "mini"), "the change shows");
    let whole = fixture.indexed("from=2026-11-03&to=2026-11-17&group_by=deployment");
    let sum: rust_decimal::Decimal = [&before, &after]
        .iter()
        .map(|body| cost(body, "mini").parse::<rust_decimal::Decimal>().expect("decimal"))
        .sum();
    assert_eq!(
        cost(&whole, "mini").parse::<rust_decimal::Decimal>().expect("decimal"),
        sum
    );
}

/// Deployments of every type and tier over the bundled snapshot, whose prices start on
/// various dates.
const SNAPSHOT_DEPLOYMENTS: &str = r#"{"account": "a", "location": "eastus2", "deployments": [
  {"name": "chat", "sku": {"name": "GlobalStandard"}, "properties": {"model": {"name": "gpt-4.1", "version": "2025-04-14"}}},
  {"name": "mini", "sku": {"name": "GlobalBatch"}, "properties": {"model": {"name": "gpt-4o-mini", "version": "2024-07-18"}}},
  {"name": "mini-dz", "sku": {"name": "DataZoneStandard"}, "properties": {"model": {"name": "gpt-4.1-mini", "version": "2025-04-14"}}},
  {"name": "ptu", "sku": {"name": "GlobalStandard"}, "properties": {"model": {"name": "o4-mini", "version": "2025-04-16"}}}
]}"#;

#[test]
fn indexed_report_equals_row_by_row_on_snapshot() {
    let catalog = aoai_catalog::snapshot::bundled_catalog().expect("snapshot");
    let fixture = Fixture::with("snapshot", catalog, SNAPSHOT_DEPLOYMENTS);
    for query in [
        "from=2026-11-01&to=2026-12-01&group_by=user",
        "from=2026-11-01&to=2026-12-01&group_by=deployment,model,version,tier",
        "from=2026-11-01&to=2026-12-01&group_by=user,day&tz=Asia/Kolkata",
    ] {
        assert_eq!(fixture.indexed(query), fixture.row_by_row(query), "{query}");
    }
}

#[test]
fn index_follows_writes_of_another_process() {
    let fixture = Fixture::new("second-writer");
    let query = "from=2026-11-01&to=2026-12-01&group_by=user";
    let before = fixture.indexed(query);

    // A second connection to the same file, as another process would open it.
    let other = Store::open(fixture.store.path()).expect("second handle");
    let mut extra = records().0[1].clone();
    extra.user = Some("newcomer".to_owned());
    other
        .write(&Batch {
            records: vec![extra],
            received: 1,
            ..Batch::default()
        })
        .expect("write");

    let after = fixture.indexed(query);
    assert_ne!(before, after);
    assert!(
        after["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|row| row["user"] == "newcomer"),
        "{after}"
    );
    assert_eq!(after, fixture.row_by_row(query));
}
