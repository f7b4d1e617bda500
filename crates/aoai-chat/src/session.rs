//! A chat session: one prompt from the command line, or prompts read line by line with the
//! conversation kept.

use std::io::Write;

use serde_json::json;
use tokio::sync::{mpsc, watch};

use crate::error::ChatError;
use crate::openai::{ChatClient, Completion, Message};
use crate::settings::Settings;
use crate::telemetry::{CallRecord, Telemetry};

/// Ctrl-C, listened for from the start of the session. A listener made only while waiting
/// would miss a Ctrl-C pressed between two waits.
#[derive(Clone)]
struct Interrupt {
    pressed: watch::Receiver<bool>,
}

impl Interrupt {
    fn start() -> Interrupt {
        let (sender, pressed) = watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = sender.send(true);
            }
        });
        Interrupt { pressed }
    }

    /// Resolves once Ctrl-C has been pressed, also if it was pressed before the call.
    async fn pressed(&mut self) {
        let _ = self.pressed.wait_for(|pressed| *pressed).await;
    }
}

/// Lines of standard input, read on a thread of their own so that Ctrl-C at the prompt is
/// never stuck behind a blocking read.
struct Input {
    lines: mpsc::Receiver<std::io::Result<String>>,
    interrupt: Interrupt,
}

impl Input {
    fn start(interrupt: Interrupt) -> Input {
        let (sender, lines) = mpsc::channel(1);
        std::thread::spawn(move || {
            for line in std::io::stdin().lines() {
                if sender.blocking_send(line).is_err() {
                    return;
                }
            }
        });
        Input { lines, interrupt }
    }

    async fn next(&mut self) -> Result<Option<String>, ChatError> {
        let mut interrupt = self.interrupt.clone();
        tokio::select! {
            line = self.lines.recv() => line
                .transpose()
                .map_err(|error| ChatError::Usage(format!("cannot read standard input: {error}"))),
            () = interrupt.pressed() => Err(ChatError::Interrupted),
        }
    }
}

/// Writes to standard output; a closed pipe (`| head`) stops the output, not the app.
fn print(text: &str) {
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

/// Runs the session; returns the first error of a one-prompt run, or of an interrupted one.
pub async fn run(settings: Settings, telemetry: &Telemetry) -> Result<(), ChatError> {
    let interrupt = Interrupt::start();
    let mut input = Input::start(interrupt.clone());
    let user = match settings.user.clone() {
        Some(user) => user,
        None => {
            eprint!("User id: ");
            let _ = std::io::stderr().flush();
            input
                .next()
                .await?
                .map(|line| line.trim().to_owned())
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
        return turn(&client, &settings, telemetry, &user, &mut messages, prompt, interrupt).await;
    }
    loop {
        eprint!("> ");
        let _ = std::io::stderr().flush();
        let Some(line) = input.next().await? else {
            return Ok(());
        };
        if line.trim().is_empty() {
            continue;
        }
        match turn(
            &client,
            &settings,
            telemetry,
            &user,
            &mut messages,
            line.trim(),
            interrupt.clone(),
        )
        .await
        {
            Ok(()) => {}
            Err(ChatError::Interrupted) => return Err(ChatError::Interrupted),
            Err(error) => eprintln!("aoai-chat: {error}"),
        }
    }
}

/// Returns messages in the GenAI conventions' JSON form, for `gen_ai.*.messages`.
fn message_json(messages: &[Message]) -> String {
    let list: Vec<_> = messages
        .iter()
        .map(|message| json!({"role": message.role, "parts": [{"type": "text", "content": message.content}]}))
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// Sends one prompt with the conversation so far, prints the answer, and records the call.
async fn turn(
    client: &ChatClient,
    settings: &Settings,
    telemetry: &Telemetry,
    user: &str,
    messages: &mut Vec<Message>,
    prompt: &str,
    mut interrupt: Interrupt,
) -> Result<(), ChatError> {
    let context = telemetry.turn(user);
    messages.push(Message {
        role: "user",
        content: prompt.to_owned(),
    });

    let call = telemetry.start_call(&context, &settings.deployment, &client.server_address(), user);
    let printing = settings.stream;
    let result: Result<Completion, ChatError> = tokio::select! {
        result = client.complete(messages, user, |text| {
            if printing {
                print(text);
            }
        }) => result,
        () = interrupt.pressed() => Err(ChatError::Interrupted),
    };
    // A completion the content filter cut is billed: its usage is recorded, then it fails.
    let error = match &result {
        Ok(completion) => completion.filter_error(),
        Err(error) => Some(error.clone()),
    };
    let completion = result.as_ref().ok();
    let content = settings.record_content;
    telemetry.finish_call(
        call,
        &CallRecord {
            deployment: &settings.deployment,
            response_model: completion.and_then(|completion| completion.response_model.as_deref()),
            response_id: completion.and_then(|completion| completion.response_id.as_deref()),
            usage: completion.and_then(|completion| completion.usage),
            error: error.as_ref(),
            input_messages: content.then(|| message_json(messages)),
            output_messages: completion.filter(|_| content).map(|completion| {
                message_json(&[Message {
                    role: "assistant",
                    content: completion.content.clone(),
                }])
            }),
        },
    );
    telemetry.end_turn(&context, error.as_ref());

    if printing {
        print("\n");
    }
    let completion = match (result, error) {
        (Ok(completion), None) => completion,
        (_, Some(error)) => {
            messages.pop();
            return Err(error);
        }
        (Err(error), None) => {
            messages.pop();
            return Err(error);
        }
    };
    if !printing {
        print(&format!("{}\n", completion.content));
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
