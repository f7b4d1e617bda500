//! Splits a meter name into lower-case words.
//!
//! Meter names join their words with spaces, hyphens or nothing at all
//! (`gpt-4o-0806-Inp-glbl`, `gpt 4o mini0718 BatchOutp DataZone`,
//! `gpt4o realtimePrvwAudInp DataZone`), so words are also split where a lower-case
//! letter meets an upper-case one and where a run of two or more letters meets a digit.
//! Known multi-word names are then joined back into one word.

/// Words that camel-case splitting breaks apart but that are one word in meter names.
const REJOIN: &[(&str, &str, &str)] = &[
    ("short", "co", "shortco"),
    ("long", "co", "longco"),
    ("data", "zone", "datazone"),
    ("cd", "wr", "cachewrite"),
];

/// Phrases that name a model with words the classifier would otherwise read as
/// token kinds (`text`, `image`, `audio`), replaced by one model word.
const MODEL_PHRASES: &[(&[&str], &str)] = &[
    (&["text", "embedding", "3", "large"], "text-embedding-3-large"),
    (&["text", "embedding", "3", "small"], "text-embedding-3-small"),
    (&["embedding", "ada"], "text-embedding-ada-002"),
    (&["gpt", "image", "1", "mini"], "gpt-image-1-mini"),
    (&["gpt", "image", "1"], "gpt-image-1"),
    (&["image", "2"], "gpt-image-2"),
    (&["computer", "use"], "computer-use-preview"),
    (&["gpt", "4omini"], "gpt 4o mini"),
];

/// Splits `meter` into lower-case words, with known phrases joined.
pub fn split_words(meter: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in meter.split([' ', '-', '_', '/', '(', ')', ',']) {
        split_fused(chunk, &mut words);
    }
    let words = rejoin(words);
    replace_phrases(words)
}

fn split_fused(chunk: &str, words: &mut Vec<String>) {
    let chars: Vec<char> = chunk.chars().collect();
    let mut start = 0;
    for index in 1..chars.len() {
        let previous = chars[index - 1];
        let current = chars[index];
        let camel = previous.is_ascii_lowercase() && current.is_ascii_uppercase();
        let letters_then_digit = current.is_ascii_digit()
            && previous.is_ascii_alphabetic()
            && index - start >= 2
            && chars[start..index].iter().all(|c| c.is_ascii_alphabetic());
        if camel || letters_then_digit {
            push_word(&chars[start..index], words);
            start = index;
        }
    }
    push_word(&chars[start..], words);
}

fn push_word(chars: &[char], words: &mut Vec<String>) {
    if !chars.is_empty() {
        words.push(chars.iter().collect::<String>().to_lowercase());
    }
}

fn rejoin(words: Vec<String>) -> Vec<String> {
    let mut joined: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        let merged = joined.last().and_then(|last| {
            REJOIN
                .iter()
                .find(|(first, second, _)| last == first && word == *second)
                .map(|(_, _, whole)| *whole)
        });
        match merged {
            Some(whole) => {
                joined.pop();
                joined.push(whole.to_owned());
            }
            None => joined.push(word),
        }
    }
    joined
}

fn replace_phrases(words: Vec<String>) -> Vec<String> {
    let mut result = Vec::with_capacity(words.len());
    let mut index = 0;
    'outer: while index < words.len() {
        for (phrase, replacement) in MODEL_PHRASES {
            let end = index + phrase.len();
            if end <= words.len() && words[index..end].iter().zip(phrase.iter()).all(|(a, b)| a == b) {
                result.extend(replacement.split(' ').map(str::to_owned));
                index = end;
                continue 'outer;
            }
        }
        result.push(words[index].clone());
        index += 1;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_names_split_into_words() {
        let cases: &[(&str, &[&str])] = &[
            ("gpt-4o-0806-Inp-glbl", &["gpt", "4o", "0806", "inp", "glbl"]),
            (
                "gpt 4o mini0718 BatchOutp DataZone",
                &["gpt", "4o", "mini", "0718", "batch", "outp", "datazone"],
            ),
            (
                "gpt4o realtimePrvwAudInp DataZone",
                &["gpt", "4o", "realtime", "prvw", "aud", "inp", "datazone"],
            ),
            ("GPT 5 cchd Inpt DZone", &["gpt", "5", "cchd", "inpt", "dzone"]),
            (
                "5.6 luna ShortCo Cd Wr PP DZ",
                &["5.6", "luna", "shortco", "cachewrite", "pp", "dz"],
            ),
            (
                "gpt4omini-rt-aud1217 Inp glbl",
                &["gpt", "4o", "mini", "rt", "aud", "1217", "inp", "glbl"],
            ),
            ("o3 mini 0131 input regnl", &["o3", "mini", "0131", "input", "regnl"]),
            ("text embedding 3 large DZ", &["text-embedding-3-large", "dz"]),
            (
                "gpt-image-1-inp-cached-txt-glbl",
                &["gpt-image-1", "inp", "cached", "txt", "glbl"],
            ),
            (
                "gpt-35-trb16K-Batch-125-Inp-glbl",
                &["gpt", "35", "trb", "16k", "batch", "125", "inp", "glbl"],
            ),
        ];
        for (meter, expected) in cases {
            assert_eq!(split_words(meter), *expected, "{meter}");
        }
    }
}
