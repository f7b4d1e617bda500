//! OpenTelemetry spans and the token-usage histogram, sent to Application Insights with
//! `opentelemetry-application-insights`.
//!
//! The exporter runs on the SDK's own threads with a blocking HTTP client, so it is created
//! and shut down outside the async runtime. Shutting down flushes what is pending.

use aoai_core::TokenUsage;
use opentelemetry::metrics::Histogram;
use opentelemetry::trace::{Span, SpanKind, Status, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

use crate::connection::ConnectionString;
use crate::error::ChatError;

/// The GenAI provider name of Azure OpenAI.
pub const PROVIDER: &str = "azure.ai.openai";

/// Spans and metrics of one run; without a connection string nothing is recorded.
pub struct Telemetry {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
    tracer: Option<SdkTracer>,
    tokens: Option<Histogram<u64>>,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("enabled", &self.tracer.is_some())
            .finish()
    }
}

/// The values a model call records on its span once it has returned.
#[derive(Debug, Clone)]
pub struct CallRecord<'a> {
    pub deployment: &'a str,
    pub response_model: Option<&'a str>,
    pub response_id: Option<&'a str>,
    pub usage: Option<TokenUsage>,
    pub error: Option<&'a ChatError>,
    /// The messages sent, in the GenAI conventions' JSON form, when content is recorded.
    pub input_messages: Option<String>,
    pub output_messages: Option<String>,
}

/// The span of a model call in progress.
pub struct CallSpan {
    span: Option<opentelemetry_sdk::trace::Span>,
}

impl std::fmt::Debug for CallSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallSpan").finish_non_exhaustive()
    }
}

impl Telemetry {
    /// Starts the exporter for `connection`, or records nothing when it is `None`.
    pub fn start(connection: Option<&ConnectionString>) -> Result<Telemetry, ChatError> {
        let Some(connection) = connection else {
            return Ok(Telemetry {
                tracer_provider: None,
                meter_provider: None,
                tracer: None,
                tokens: None,
            });
        };
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|error| ChatError::Usage(format!("failed to build the telemetry HTTP client: {error}")))?;
        // `with_endpoint` takes the endpoint as given, unlike the crate's connection-string parser.
        #[allow(deprecated)]
        let exporter =
            opentelemetry_application_insights::Exporter::new(connection.instrumentation_key.clone(), client)
                .with_endpoint(&connection.ingestion_endpoint)
                .map_err(|error| ChatError::Usage(format!("the telemetry endpoint is invalid: {error}")))?;
        let resource = Resource::builder().with_service_name("aoai-chat").build();
        let tracer_provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter.clone())
            .with_resource(resource.clone())
            .build();
        let meter_provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter).build())
            .with_resource(resource)
            .build();
        let tracer = tracer_provider.tracer("aoai-chat");
        let tokens = opentelemetry::metrics::MeterProvider::meter(&meter_provider, "aoai-chat")
            .u64_histogram("gen_ai.client.token.usage")
            .with_unit("{token}")
            .with_description("Tokens used per model call, by token type")
            .build();
        Ok(Telemetry {
            tracer_provider: Some(tracer_provider),
            meter_provider: Some(meter_provider),
            tracer: Some(tracer),
            tokens: Some(tokens),
        })
    }

    /// Starts the span of one user turn; calls made in the turn are its children.
    pub fn turn(&self, user: &str) -> Context {
        let Some(tracer) = &self.tracer else {
            return Context::new();
        };
        let span = tracer
            .span_builder("turn")
            .with_kind(SpanKind::Internal)
            .with_attributes([KeyValue::new("user.id", user.to_owned())])
            .start(tracer);
        Context::current_with_span(span)
    }

    /// Ends the turn's span, with an error status when the turn failed.
    pub fn end_turn(&self, turn: &Context, error: Option<&ChatError>) {
        let span = turn.span();
        if let Some(error) = error {
            span.set_status(Status::error(error.to_string()));
        }
        span.end();
    }

    /// Starts the CLIENT span `chat {deployment}` of a model call under `turn`, before the
    /// request is sent, so the span covers the call.
    pub fn start_call(&self, turn: &Context, deployment: &str, server_address: &str, user: &str) -> CallSpan {
        let Some(tracer) = &self.tracer else {
            return CallSpan { span: None };
        };
        let span = tracer
            .span_builder(format!("chat {deployment}"))
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("gen_ai.operation.name", "chat"),
                KeyValue::new("gen_ai.provider.name", PROVIDER),
                KeyValue::new("gen_ai.request.model", deployment.to_owned()),
                KeyValue::new("server.address", server_address.to_owned()),
                KeyValue::new("user.id", user.to_owned()),
            ])
            .start_with_context(tracer, turn);
        CallSpan { span: Some(span) }
    }

    /// Records what the call returned on its span, ends it, and adds its tokens to the histogram.
    pub fn finish_call(&self, call: CallSpan, record: &CallRecord<'_>) {
        let Some(mut span) = call.span else {
            return;
        };
        if let Some(model) = record.response_model {
            span.set_attribute(KeyValue::new("gen_ai.response.model", model.to_owned()));
        }
        if let Some(id) = record.response_id {
            span.set_attribute(KeyValue::new("gen_ai.response.id", id.to_owned()));
        }
        if let Some(usage) = record.usage {
            let count = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
            span.set_attribute(KeyValue::new("gen_ai.usage.input_tokens", count(usage.input)));
            span.set_attribute(KeyValue::new(
                "gen_ai.usage.cache_read.input_tokens",
                count(usage.cached_input),
            ));
            span.set_attribute(KeyValue::new("gen_ai.usage.output_tokens", count(usage.output)));
            span.set_attribute(KeyValue::new(
                "gen_ai.usage.reasoning.output_tokens",
                count(usage.reasoning),
            ));
        }
        if let Some(messages) = &record.input_messages {
            span.set_attribute(KeyValue::new("gen_ai.input.messages", messages.clone()));
        }
        if let Some(messages) = &record.output_messages {
            span.set_attribute(KeyValue::new("gen_ai.output.messages", messages.clone()));
        }
        if let Some(error) = record.error {
            span.set_attribute(KeyValue::new("error.type", error.kind()));
            span.set_status(Status::error(error.to_string()));
        }
        span.end();

        if let (Some(tokens), Some(usage)) = (&self.tokens, record.usage) {
            let common = |kind: &'static str| {
                let mut values = vec![
                    KeyValue::new("gen_ai.token.type", kind),
                    KeyValue::new("gen_ai.operation.name", "chat"),
                    KeyValue::new("gen_ai.provider.name", PROVIDER),
                    KeyValue::new("gen_ai.request.model", record.deployment.to_owned()),
                ];
                if let Some(model) = record.response_model {
                    values.push(KeyValue::new("gen_ai.response.model", model.to_owned()));
                }
                values
            };
            tokens.record(usage.input, &common("input"));
            tokens.record(usage.output, &common("output"));
        }
    }

    /// Flushes and stops the exporter. Call it outside the async runtime.
    pub fn shutdown(self) -> Vec<String> {
        let mut failures = Vec::new();
        if let Some(provider) = self.tracer_provider
            && let Err(error) = provider.shutdown()
        {
            failures.push(format!("spans: {error}"));
        }
        if let Some(provider) = self.meter_provider
            && let Err(error) = provider.shutdown()
        {
            failures.push(format!("metrics: {error}"));
        }
        failures
    }
}
