//! A deterministic sample workload for a first look: 30 days of calls by 20 users on
//! deployments of each type, recorded both as OpenTelemetry spans and as API Management
//! token metrics, as Azure would record them.

use std::path::PathBuf;

use aoai_core::TokenUsage;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::config::Config;
use crate::ingest::Batch;
use crate::record::{SpanLink, TokenMetric, UsageRecord, UsageSource};
use crate::store::{Store, StoreError};

const TEAMS: &[(&str, &str)] = &[
    ("Platform", "CC-1001"),
    ("Search", "CC-1002"),
    ("Support", "CC-2001"),
    ("Data Science", "CC-3001"),
];

const NAMES: &[&str] = &[
    "Ada Lovelace",
    "Alan Turing",
    "Grace Hopper",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Frances Allen",
    "John Backus",
    "Margaret Hamilton",
    "Ken Thompson",
    "Radia Perlman",
    "Tony Hoare",
    "Katherine Johnson",
    "Niklaus Wirth",
    "Sophie Wilson",
    "Dennis Ritchie",
    "Shafi Goldwasser",
    "Leslie Lamport",
    "Jean Sammet",
    "Robin Milner",
];

/// Deployments of the sample: name, model, version, SKU, and the weight of its use.
const DEPLOYMENTS: &[(&str, &str, &str, &str, u64)] = &[
    ("chat-global", "gpt-4o", "2024-11-20", "GlobalStandard", 30),
    ("mini-global", "gpt-4o-mini", "2024-07-18", "GlobalStandard", 25),
    ("chat-dz", "gpt-4o", "2024-08-06", "DataZoneStandard", 12),
    ("chat-regional", "gpt-4o", "2024-11-20", "Standard", 8),
    ("mini-batch", "gpt-4o-mini", "2024-07-18", "GlobalBatch", 6),
    ("reasoning", "o4-mini", "2025-04-16", "GlobalStandard", 10),
    ("chat-ptu", "gpt-4o", "2024-11-20", "GlobalProvisionedManaged", 5),
];

/// A deployment that is not in the sample catalog; its calls are priced from the response model.
const UNLISTED: (&str, &str) = ("legacy-chat", "gpt-4o-2024-08-06");

fn user_id(index: usize) -> String {
    format!("00000000-0000-4000-8000-{:012}", index + 1)
}

/// Checks that the store is empty or contains the sample, then writes the sample's directory
/// (when `USAGE_DIRECTORY` names none) and deployment catalog beside the store and points
/// `config` at them. The sample's deployments are added to any that `AOAI_DEPLOYMENTS` lists.
pub fn prepare(config: &mut Config) -> Result<(), SampleError> {
    let store = Store::open(&config.store_path)?;
    if !store.is_sample()? && !store.is_empty()? {
        return Err(SampleError::NotEmpty(store.path().display().to_string()));
    }
    drop(store);
    write_files(config).map_err(SampleError::Files)
}

/// Points `config` at the sample's directory and deployment catalog when the store contains the
/// sample and the files are beside it. A restart or the `report` command without
/// `--sample-data` then reports the same teams and deployments. Settings that name files win.
pub fn reuse_files(config: &mut Config) -> Result<(), SampleError> {
    if !config.store_path.is_file() || !Store::file_is_sample(&config.store_path)? {
        return Ok(());
    }
    let folder = config.store_path.parent().map(PathBuf::from).unwrap_or_default();
    let directory = folder.join("sample-directory.json");
    if config.directory.is_none() && directory.is_file() {
        config.directory = Some(directory);
    }
    let deployments = folder.join("sample-deployments.json");
    if deployments.is_file() && !config.deployment_files.contains(&deployments) {
        config.deployment_files.push(deployments);
    }
    Ok(())
}

fn write_files(config: &mut Config) -> std::io::Result<()> {
    let folder = config
        .store_path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&folder)?;
    if config.directory.is_none() {
        let users: Vec<_> = NAMES
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let (team, cost_center) = TEAMS[index % TEAMS.len()];
                json!({
                    "id": user_id(index),
                    "display_name": name,
                    "email": format!("{}@example.com", name.to_ascii_lowercase().replace(' ', ".")),
                    "team": team,
                    "cost_center": cost_center,
                })
            })
            .collect();
        let path = folder.join("sample-directory.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&users)?)?;
        config.directory = Some(path);
    }
    {
        let deployments: Vec<_> = DEPLOYMENTS
            .iter()
            .map(|(name, model, version, sku, _)| {
                json!({
                    "name": name,
                    "properties": {"model": {"format": "OpenAI", "name": model, "version": version}},
                    "sku": {"name": sku, "capacity": 100},
                })
            })
            .collect();
        let catalog = json!({"account": "sample-aoai", "location": "eastus2", "deployments": deployments});
        let path = folder.join("sample-deployments.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&catalog)?)?;
        config.deployment_files.push(path);
    }
    Ok(())
}

/// A failure to write the sample.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error(
        "the usage store {0} already holds usage that is not the sample; --sample-data fills only an empty \
         store, so set USAGE_STORE to another file"
    )]
    NotEmpty(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the sample's directory and deployment files beside the store: {0}")]
    Files(std::io::Error),
}

/// Fills an empty store with the sample for the 30 days up to `now`. A store that already
/// contains the sample is left as it is.
pub fn fill(store: &Store, now: DateTime<Utc>) -> Result<(), SampleError> {
    if store.is_sample()? {
        return Ok(());
    }
    if !store.is_empty()? {
        return Err(SampleError::NotEmpty(store.path().display().to_string()));
    }
    let mut batch = Batch::default();
    let mut random = Random(0x5eed_2026);
    let start = now - Duration::days(30);
    let total_weight: u64 = DEPLOYMENTS.iter().map(|deployment| deployment.4).sum::<u64>() + 4;
    for call in 0..6000_u64 {
        let offset = Duration::seconds(i64::try_from(random.below(30 * 24 * 3600)).unwrap_or(0));
        let time = start + offset;
        let user_index = usize::try_from(random.skewed(NAMES.len() as u64)).unwrap_or(0);
        let unattributed = random.below(100) < 3;
        let user = (!unattributed).then(|| user_id(user_index));

        let mut pick = random.below(total_weight);
        let (deployment, response_model) = DEPLOYMENTS
            .iter()
            .find(|(_, _, _, _, weight)| {
                let hit = pick < *weight;
                pick = pick.saturating_sub(*weight);
                hit
            })
            .map(|(name, model, version, _, _)| ((*name).to_owned(), format!("{model}-{version}")))
            .unwrap_or_else(|| (UNLISTED.0.to_owned(), UNLISTED.1.to_owned()));

        let input = 200 + random.below(6000);
        // The batch deployment's model has no cached-input meter, so its calls report no cached tokens.
        let cached = if deployment != "mini-batch" && random.below(100) < 40 {
            input * random.below(90) / 100
        } else {
            0
        };
        let output = 50 + random.below(1500);
        let reasoning = if deployment == "reasoning" {
            output * random.below(80) / 100
        } else {
            0
        };
        let usage = TokenUsage {
            input,
            cached_input: cached,
            output,
            reasoning,
        };
        let streamed = random.below(100) < 25;
        // A streamed call whose client did not ask for the usage chunk has no usage on its span.
        let usage_missing = streamed && random.below(100) < 10;
        let span_id = format!("{call:016x}");

        batch.records.push(UsageRecord {
            source: UsageSource::Otel,
            time,
            user: user.clone(),
            parent_span: Some(format!("p{span_id}")),
            deployment: Some(deployment.clone()),
            response_model: Some(response_model),
            service_tier: None,
            provider: Some("azure.ai.openai".to_owned()),
            subscription: None,
            metric: None,
            requests: 1,
            usage: (!usage_missing).then_some(usage),
            estimated: false,
        });
        batch.spans.push(SpanLink {
            span_id: format!("p{span_id}"),
            parent_span: None,
            user: user.clone(),
        });
        let subscription = format!(
            "team-{}",
            TEAMS[user_index % TEAMS.len()].0.to_ascii_lowercase().replace(' ', "-")
        );
        for (metric, value) in [
            (TokenMetric::Prompt, usage.input),
            (TokenMetric::CachedPrompt, usage.cached_input),
            (TokenMetric::Completion, usage.output),
            (TokenMetric::Total, usage.input + usage.output),
        ] {
            let mut tokens = TokenUsage::default();
            match metric {
                TokenMetric::Prompt => tokens.input = value,
                TokenMetric::CachedPrompt => tokens.cached_input = value,
                TokenMetric::Completion => tokens.output = value,
                TokenMetric::Total => {}
            }
            batch.records.push(UsageRecord {
                source: UsageSource::Apim,
                time,
                user: user.clone(),
                parent_span: None,
                deployment: Some(deployment.clone()),
                response_model: None,
                service_tier: None,
                provider: None,
                subscription: Some(subscription.clone()),
                metric: Some(metric),
                requests: 1,
                usage: Some(tokens),
                estimated: streamed,
            });
        }
    }
    batch.received = batch.records.len();
    store.write_sample(&batch)?;
    Ok(())
}

/// A small deterministic generator (xorshift64*), so the sample is the same on every machine.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    /// Returns a value below `bound` where small values are more frequent, so a few users dominate.
    fn skewed(&mut self, bound: u64) -> u64 {
        let first = self.below(bound);
        let second = self.below(bound);
        first.min(second)
    }
}
