//! A chat session: one prompt from the command line, or prompts read line by line with the
//! conversation kept.

use std::io::Write;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::error::ChatError;
use crate::openai::{ChatClient, Completion, Message};
use crate::settings::Settings;
use crate::telemetry::{CallRecord, Telemetry};

/// Runs the session; returns the first error of a one-prompt run, or of an interrupted one.
pub async fn run(settings: Settings, telemetry: &Telemetry) -> Result<(), ChatError> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let user = match settings.user.clone() {
        Some(user) => user,
        None => {
            eprint!("User id: ");
            let _ = std::io::stderr().flush();
            let line = next_line(&mut lines).await?;
            line.map(|line| line.trim().to_owned())
                .filter(|line| !line.is_empty())
                .ok_or_else(|| ChatError::Usage("no user id was given; pass --user <id>".to_owned()))?
        }
    };
    let client = ChatClient::new(settings.clone())?;
    let mut messages = Vec::new();
    if let Some(system) = &settings.system {
        messages.push(Message {
            role: "system",
            content: system.clone(),
        });
    }

    if let Some(prompt) = &settings.prompt {
        return turn(&client, &settings, telemetry, &user, &mut messages, prompt).await;
    }
    loop {
        eprint!("> ");
        let _ = std::io::stderr().flush();
        let Some(line) = next_line(&mut lines).await? else {
            return Ok(());
        };
        if line.trim().is_empty() {
            continue;
        }
        match turn(&client, &settings, telemetry, &user, &mut messages, line.trim()).await {
            Ok(()) => {}
            Err(ChatError::Interrupted) => return Err(ChatError::Interrupted),
            Err(error) => eprintln!("aoai-chat: {error}"),
        }
    }
}

async fn next_line(lines: &mut tokio::io::Lines<BufReader<tokio::io::Stdin>>) -> Result<Option<String>, ChatError> {
    tokio::select! {
        line = lines.next_line() => line.map_err(|error| ChatError::Usage(format!("cannot read standard input: {error}"))),
        _ = tokio::signal::ctrl_c() => Err(ChatError::Interrupted),
    }
}

/// Sends one prompt with the conversation so far, prints the answer, and records the call.
async fn turn(
    client: &ChatClient,
    settings: &Settings,
    telemetry: &Telemetry,
    user: &str,
    messages: &mut Vec<Message>,
    prompt: &str,
) -> Result<(), ChatError> {
    let context = telemetry.turn(user);

    messages.push(Message {
        role: "user",
        content: prompt.to_owned(),
    });
    let printing = settings.stream;
    let result: Result<Completion, ChatError> = tokio::select! {
        result = client.complete(messages, user, |text| {
            if printing {
                print!("{text}");
                let _ = std::io::stdout().flush();
            }
        }) => result,
        _ = tokio::signal::ctrl_c() => Err(ChatError::Interrupted),
    };

    let completion = result.as_ref().ok();
    telemetry.call(
        &context,
        &CallRecord {
            deployment: &settings.deployment,
            server_address: &client.server_address(),
            user,
            response_model: completion.and_then(|completion| completion.response_model.as_deref()),
            response_id: completion.and_then(|completion| completion.response_id.as_deref()),
            usage: completion.and_then(|completion| completion.usage),
            error: result.as_ref().err(),
            prompt: settings.record_content.then_some(prompt),
            completion: completion
                .filter(|_| settings.record_content)
                .map(|completion| completion.content.as_str()),
        },
    );
    telemetry.end_turn(&context);

    let completion = match result {
        Ok(completion) => completion,
        Err(error) => {
            messages.pop();
            return Err(error);
        }
    };

    if printing {
        println!();
    } else {
        println!("{}", completion.content);
    }
    match completion.usage {
        Some(usage) => eprintln!(
            "(tokens: input {} of which cached {}, output {} of which reasoning {})",
            usage.input, usage.cached_input, usage.output, usage.reasoning
        ),
        None => eprintln!("(tokens: usage_missing, because the response carried no usage)"),
    }
    messages.push(Message {
        role: "assistant",
        content: completion.content,
    });
    Ok(())
}
