//! The KQL of each telemetry source and schema.
//!
//! Every query is bounded by the requested range, aggregates in KQL into 15-minute UTC
//! buckets, and projects the one result schema of [`crate::row::UsageRow`]:
//! `bucket_start, user, subscription, deployment, response_model, service_tier,
//! input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, requests, rejected,
//! usage_missing, source, estimated`. A call with impossible counts is left out of the sums
//! and counted in `rejected`.
//!
//! No value from a request enters the text as written. Each is base64-encoded and decoded
//! by `base64_decode_tostring` in the query, so quotes, backslashes, newlines, `|` or any
//! other character can never end the literal. `GET /api/usage/queries` returns the text of
//! each query for a period, to paste into a workbook.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::ingest::MetricNames;
use crate::record::UsageSource;

/// The table layout of the telemetry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Application Insights classic tables: `dependencies`, `requests`, `customMetrics`.
    Classic,
    /// Log Analytics workspace tables: `AppDependencies`, `AppRequests`, `AppMetrics`,
    /// `ApiManagementGatewayLlmLog`, `ApiManagementGatewayLogs`.
    Workspace,
}

/// The period, filters and metric names of a query.
#[derive(Debug, Clone)]
pub struct QueryScope<'a> {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub users: &'a [String],
    pub deployments: &'a [String],
    pub metric_names: &'a MetricNames,
}

/// Returns `value` as a KQL expression that evaluates to exactly `value`, whatever it contains.
pub fn string_literal(value: &str) -> String {
    format!("base64_decode_tostring('{}')", base64(value.as_bytes()))
}

fn datetime_literal(time: DateTime<Utc>) -> String {
    format!("datetime({})", time.to_rfc3339_opts(SecondsFormat::Micros, true))
}

/// Returns the query of `source` in `schema`, or `None` where the schema has no such telemetry.
pub fn query(source: UsageSource, schema: Schema, scope: &QueryScope<'_>) -> Option<String> {
    let body = match (source, schema) {
        (UsageSource::Otel, schema) => otel(schema),
        (UsageSource::Apim, schema) => apim(schema, scope.metric_names),
        (UsageSource::ApimLogs, Schema::Workspace) => apim_logs(),
        (UsageSource::ApimLogs, Schema::Classic) => return None,
    };
    Some(format!(
        "let start = {};\nlet end = {};\n{body}{}\n| project bucket_start, user, subscription, deployment, response_model, \
         service_tier, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, requests, rejected, \
         usage_missing, source = \"{}\", estimated",
        datetime_literal(scope.from),
        datetime_literal(scope.to),
        filters(scope),
        source.as_str(),
    ))
}

/// Filters the rows as the resolver does: users trimmed and without case, an empty,
/// `N/A` or `(unattributed)` user as `(unattributed)`, deployments without case.
fn filters(scope: &QueryScope<'_>) -> String {
    let mut text = String::new();
    if !scope.users.is_empty() {
        let list: Vec<String> = scope
            .users
            .iter()
            .map(|user| string_literal(&user.trim().to_lowercase()))
            .collect();
        let normal = "tolower(trim(@\"\\s\", user))";
        let mut condition = format!("{normal} in ({})", list.join(", "));
        if scope
            .users
            .iter()
            .any(|user| user.trim() == crate::report::UNATTRIBUTED)
        {
            condition.push_str(&format!(
                " or isempty({normal}) or {normal} in (\"n/a\", \"{}\")",
                crate::report::UNATTRIBUTED
            ));
        }
        text.push_str(&format!("\n| where {condition}"));
    }
    if !scope.deployments.is_empty() {
        let list: Vec<String> = scope.deployments.iter().map(|value| string_literal(value)).collect();
        text.push_str(&format!("\n| where deployment in~ ({})", list.join(", ")));
    }
    text
}

/// GenAI model-call spans. Attribute values arrive as strings; `itemCount` weights sampled rows.
fn otel(schema: Schema) -> String {
    let (tables, time, props, operation, parent, id, auth_user, item_count, success) = match schema {
        Schema::Classic => (
            "union dependencies, requests",
            "timestamp",
            "customDimensions",
            "operation_Id",
            "operation_ParentId",
            "id",
            "user_AuthenticatedId",
            "itemCount",
            "success",
        ),
        Schema::Workspace => (
            "union AppDependencies, AppRequests",
            "TimeGenerated",
            "Properties",
            "OperationId",
            "ParentId",
            "Id",
            "UserAuthenticatedId",
            "ItemCount",
            "Success",
        ),
    };
    let user = format!(
        "coalesce(tostring({props}[\"user.id\"]), tostring({props}[\"enduser.id\"]), tostring({auth_user}), \
         tostring({props}[\"User Name\"]))"
    );
    // Each count is read as the local store reads it: a whole, non-negative number, also
    // when written `3.0`. A value that is present but not such a number makes the call rejected.
    let mut counts = String::new();
    for (field, names) in [
        (
            "input",
            &["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"][..],
        ),
        (
            "output",
            &["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"][..],
        ),
        ("cached", &["gen_ai.usage.cache_read.input_tokens"][..]),
        ("reasoning", &["gen_ai.usage.reasoning.output_tokens"][..]),
    ] {
        let raw: Vec<String> = names
            .iter()
            .map(|name| format!("tostring({props}[\"{name}\"])"))
            .collect();
        let raw = if raw.len() == 1 {
            raw[0].clone()
        } else {
            format!("coalesce({})", raw.join(", "))
        };
        counts.push_str(&format!(
            "| extend {field}_raw = {raw}\n\
             | extend {field}_real = toreal({field}_raw)\n\
             | extend {field}_bad = isnotempty({field}_raw) and (isnull({field}_real) or {field}_real < 0 \
             or {field}_real != floor({field}_real, 1))\n\
             | extend {field} = iff(isnotempty({field}_raw) and not({field}_bad), tolong({field}_real), long(null))\n"
        ));
    }
    format!(
        "let spans = {tables}\n\
         | where {time} >= start - 1h and {time} < end + 1h\n\
         | extend span_user = {user};\n\
         let parents = spans\n\
         | where isnotempty(span_user)\n\
         | summarize parent_user = take_any(span_user) by parent_operation = {operation}, parent_id = {id};\n\
         let operations = spans\n\
         | where isnotempty(span_user)\n\
         | summarize operation_user = take_any(span_user) by user_operation = {operation};\n\
         spans\n\
         | where {time} >= start and {time} < end\n\
         | where tostring({props}[\"gen_ai.operation.name\"]) in (\"chat\", \"text_completion\", \"generate_content\", \"embeddings\")\n\
         | join kind=leftouter parents on $left.{operation} == $right.parent_operation, $left.{parent} == $right.parent_id\n\
         | join kind=leftouter operations on $left.{operation} == $right.user_operation\n\
         | extend user = coalesce(span_user, parent_user, operation_user)\n\
         {counts}\
         | extend weight = iff({item_count} > 0, tolong({item_count}), 1)\n\
         | extend no_usage = isnull(input) and isnull(output) and not(input_bad or output_bad)\n\
         | where not(no_usage and (tostring({success}) =~ \"false\" or isnotempty(tostring({props}[\"error.type\"]))))\n\
         | extend missing = no_usage\n\
         | extend bad = input_bad or output_bad or cached_bad or reasoning_bad \
         or coalesce(cached, 0) > coalesce(input, 0) or coalesce(reasoning, 0) > coalesce(output, 0)\n\
         | extend good = not(missing) and not(bad)\n\
         | extend subscription = \"\", deployment = tostring({props}[\"gen_ai.request.model\"]), \
         response_model = tostring({props}[\"gen_ai.response.model\"]), \
         service_tier = tostring({props}[\"openai.response.service_tier\"]), estimated = weight > 1\n\
         | summarize input_tokens = sumif(coalesce(input, 0) * weight, good), \
         cached_input_tokens = sumif(coalesce(cached, 0) * weight, good), \
         output_tokens = sumif(coalesce(output, 0) * weight, good), \
         reasoning_tokens = sumif(coalesce(reasoning, 0) * weight, good), requests = sumif(weight, good), \
         rejected = sumif(weight, bad), usage_missing = sumif(weight, missing)\n    \
         by bucket_start = bin({time}, 15m), user, subscription, deployment, response_model, service_tier, estimated"
    )
}

/// API Management token metrics, aggregated from the stored sums and counts, never from
/// single values or row counts.
fn apim(schema: Schema, names: &MetricNames) -> String {
    let (table, time, name, sum, count, props) = match schema {
        Schema::Classic => (
            "customMetrics",
            "timestamp",
            "name",
            "valueSum",
            "valueCount",
            "customDimensions",
        ),
        Schema::Workspace => ("AppMetrics", "TimeGenerated", "Name", "Sum", "ItemCount", "Properties"),
    };
    let [prompt, completion, total, cached] =
        [&names.prompt, &names.completion, &names.total, &names.cached].map(|value| string_literal(value));
    let dimension = |value: &str| format!("tostring({props}[{}])", string_literal(value));
    format!(
        "{table}\n\
         | where {time} >= start and {time} < end\n\
         | where {name} in ({prompt}, {completion}, {total}, {cached})\n\
         | extend user = {user}, deployment = {deployment}, subscription = {subscription}, \
         estimated = {streamed} =~ \"true\"\n\
         | summarize prompt = sumif({sum}, {name} == {prompt}), completion = sumif({sum}, {name} == {completion}), \
         cached = sumif({sum}, {name} == {cached}), total_calls = sumif({count}, {name} == {total}), \
         prompt_calls = sumif({count}, {name} == {prompt}), any_calls = max({count})\n    \
         by bucket_start = bin({time}, 15m), user, deployment, subscription, estimated\n\
         | extend calls = tolong(iff(total_calls > 0, total_calls, iff(prompt_calls > 0, prompt_calls, any_calls))), \
         bad = cached > prompt\n\
         | extend response_model = \"\", service_tier = \"\", input_tokens = iff(bad, 0, tolong(prompt)), \
         cached_input_tokens = iff(bad, 0, tolong(cached)), output_tokens = iff(bad, 0, tolong(completion)), \
         reasoning_tokens = 0, requests = iff(bad, 0, calls), rejected = iff(bad, max_of(calls, 1), 0), usage_missing = 0",
        user = dimension(&names.user),
        deployment = dimension(&names.deployment),
        subscription = dimension(&names.subscription),
        streamed = dimension(&names.streamed),
    )
}

/// API Management's LLM logs. A streamed call spans several rows by `SequenceNumber`, so each
/// `CorrelationId` is counted once, with its largest token counts.
fn apim_logs() -> String {
    "let gateway = ApiManagementGatewayLogs\n\
     | where TimeGenerated >= start - 1h and TimeGenerated < end + 1h\n\
     | summarize UserId = take_any(UserId), ApimSubscriptionId = take_any(ApimSubscriptionId) by CorrelationId;\n\
     ApiManagementGatewayLlmLog\n\
     | where TimeGenerated >= start and TimeGenerated < end\n\
     | summarize TimeGenerated = min(TimeGenerated), DeploymentName = take_any(DeploymentName), \
     ModelName = take_any(ModelName), PromptTokens = max(tolong(PromptTokens)), \
     CompletionTokens = max(tolong(CompletionTokens)), Streamed = max(toint(tobool(IsStreamCompletion))) by CorrelationId\n\
     | join kind=leftouter gateway on CorrelationId\n\
     | extend bad = PromptTokens < 0 or CompletionTokens < 0, missing = isnull(PromptTokens) and isnull(CompletionTokens)\n\
     | extend good = not(bad) and not(missing)\n\
     | extend user = tostring(UserId), subscription = tostring(ApimSubscriptionId), deployment = tostring(DeploymentName), \
     response_model = tostring(ModelName), service_tier = \"\", estimated = coalesce(Streamed, 0) > 0\n\
     | summarize input_tokens = sumif(coalesce(PromptTokens, 0), good), output_tokens = sumif(coalesce(CompletionTokens, 0), good), \
     requests = countif(good), rejected = countif(bad), usage_missing = countif(missing)\n    \
     by bucket_start = bin(TimeGenerated, 15m), user, subscription, deployment, response_model, service_tier, estimated\n\
     | extend cached_input_tokens = 0, reasoning_tokens = 0"
        .to_owned()
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (index, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if index <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64("é|'\"\\\n;".as_bytes()), "w6l8JyJcCjs=");
    }

    #[test]
    fn classic_metrics_use_sums_and_counts() {
        let names = MetricNames::default();
        let scope = QueryScope {
            from: DateTime::from_timestamp(0, 0).expect("time"),
            to: DateTime::from_timestamp(900, 0).expect("time"),
            users: &[],
            deployments: &[],
            metric_names: &names,
        };
        let text = query(UsageSource::Apim, Schema::Classic, &scope).expect("a classic query");
        assert!(
            text.starts_with("let start = datetime(1970-01-01T00:00:00.000000Z);"),
            "{text}"
        );
        assert!(text.contains("customMetrics"), "{text}");
        assert!(text.contains("sumif(valueSum, name == "), "{text}");
        assert!(text.contains("sumif(valueCount, name == "), "{text}");
        assert!(!text.contains("Prompt Tokens"), "metric names are encoded: {text}");
        assert!(text.ends_with("usage_missing, source = \"apim\", estimated"), "{text}");
        assert_eq!(query(UsageSource::ApimLogs, Schema::Classic, &scope), None);
    }

    #[test]
    fn hostile_values_stay_inside_literals() {
        for hostile in ["a' | take 1 //", "b\" ; drop", "c\\\n| union *", "ü\u{0}`"] {
            let literal = string_literal(hostile);
            let inner = literal
                .strip_prefix("base64_decode_tostring('")
                .and_then(|rest| rest.strip_suffix("')"))
                .expect("the literal shape");
            assert!(
                inner.chars().all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c)),
                "{literal}"
            );
        }
    }
}
