//! Suggestions of known values close to an unknown one, for error messages.

/// Returns up to three of `known` closest to `wanted` by edit distance, nearest first,
/// leaving out those too far to be a likely typo.
pub fn closest<'a>(wanted: &str, known: impl Iterator<Item = &'a str>) -> Vec<String> {
    let wanted = wanted.to_ascii_lowercase();
    let limit = (wanted.chars().count() / 2).max(3);
    let mut scored: Vec<(usize, &str)> = known
        .map(|candidate| (distance(&wanted, &candidate.to_ascii_lowercase()), candidate))
        .filter(|(score, candidate)| *score <= limit || candidate.contains(wanted.as_str()))
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(3).map(|(_, name)| name.to_owned()).collect()
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_first() {
        let known = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini"];
        assert_eq!(
            closest("gpt-4", known.into_iter()),
            vec!["gpt-4o", "gpt-4.1", "gpt-4o-mini"]
        );
        assert_eq!(
            closest("eastus3", ["eastus", "eastus2", "westus"].into_iter()),
            vec!["eastus", "eastus2", "westus"]
        );
        assert!(closest("completely-different", known.into_iter()).is_empty());
    }
}
