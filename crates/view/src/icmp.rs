//! ICMP errors about conversations, in words: the same text in the CLI and the page.

use callscope_analysis::report::IcmpErrors;
use callscope_analysis::Report;

use crate::format;
use crate::headline::plural;

/// A conversation's errors: `port unreachable ×5 from 35.158.183.167; time exceeded from 10.0.0.1`.
pub fn describe(errors: &[IcmpErrors]) -> Option<String> {
    if errors.is_empty() {
        return None;
    }
    let parts: Vec<String> = errors
        .iter()
        .map(|e| {
            let times = if e.count == 1 {
                String::new()
            } else {
                format!(" ×{}", format::count(e.count))
            };
            format!("{}{times} from {}", e.error, e.from)
        })
        .collect();
    Some(parts.join("; "))
}

/// ICMP errors over all conversations.
pub fn total(r: &Report) -> u64 {
    r.conversations
        .iter()
        .flat_map(|c| &c.icmp_errors)
        .map(|e| e.count)
        .sum()
}

/// All of a report's: `53 ICMP errors on 12 conversations (port unreachable)`, or None.
pub fn summary(r: &Report) -> Option<String> {
    let count = total(r);
    if count == 0 {
        return None;
    }
    let with: Vec<_> = r
        .conversations
        .iter()
        .filter(|c| !c.icmp_errors.is_empty())
        .collect();
    let mut kinds: Vec<&str> = Vec::new();
    for e in with.iter().flat_map(|c| &c.icmp_errors) {
        if !kinds.contains(&e.error.as_str()) {
            kinds.push(&e.error);
        }
    }
    Some(format!(
        "{} on {} ({})",
        plural(count, "ICMP error", "ICMP errors"),
        plural(with.len() as u64, "conversation", "conversations"),
        kinds.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use callscope_analysis::report::Conversation;

    fn err(error: &str, from: &str, count: u64) -> IcmpErrors {
        IcmpErrors {
            error: error.into(),
            from: from.parse().unwrap(),
            count,
            first: 1.0,
        }
    }

    #[test]
    fn errors_read_as_what_how_often_and_from_whom() {
        assert_eq!(describe(&[]), None);
        assert_eq!(
            describe(&[
                err("port unreachable", "192.0.2.7", 5),
                err("time exceeded", "10.0.0.1", 1)
            ])
            .as_deref(),
            Some("port unreachable ×5 from 192.0.2.7; time exceeded from 10.0.0.1")
        );
        let mut r = Report::default();
        assert_eq!(summary(&r), None);
        for (n, e) in [
            (5, "port unreachable"),
            (1, "port unreachable"),
            (2, "host unreachable"),
        ] {
            r.conversations.push(Conversation {
                icmp_errors: vec![err(e, "192.0.2.7", n)],
                ..Conversation::default()
            });
        }
        r.conversations.push(Conversation::default());
        assert_eq!(
            summary(&r).as_deref(),
            Some("8 ICMP errors on 3 conversations (port unreachable, host unreachable)")
        );
    }
}
