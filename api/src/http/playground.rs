//! The playground (`GET /graphql` with no query) and everything it loads
//! (`GET /playground/<file>`), served by the hub itself so that the page
//! works on a network with no way out: GraphiQL and React as vendored by
//! `playground/update.sh` (`playground/vendor/`, hashes in `VERSIONS`),
//! the page's own script and style, and the examples of
//! `playground/examples.graphql` as JSON. All are compiled in.
//!
//! The page may load and call only its own origin (its
//! Content-Security-Policy); each file's URL carries a hash of its bytes,
//! so that a browser keeps it for a year and asks again only when the hub
//! serves other bytes. What the page does is `playground/playground.js`.

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// What the page may do: load scripts, styles and fonts from the hub,
/// call the hub, nothing else. GraphiQL's fonts are `data:` URLs; the one
/// inline style allowed (by its hash) is the scroll lock GraphiQL's dialogs
/// add while open, as it is on this page (no scrollbar, no body margin).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// For a URL that names the file's hash: it never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// For the page and a URL without the hash: ask again each time (the
/// ETag makes that cheap).
const REVALIDATE: &str = "no-cache";

const PAGE: &str = include_str!("../../../playground/index.html");
const EXAMPLES: &str = include_str!("../../../playground/examples.graphql");

/// A file of the playground.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: std::borrow::Cow<'static, [u8]>,
    /// The first 16 hex digits of the bytes' SHA-256: the URL's `v`, and
    /// the ETag.
    version: String,
}

impl Asset {
    fn new(name: &'static str, bytes: std::borrow::Cow<'static, [u8]>) -> Asset {
        let content_type = match name.rsplit_once('.').map(|(_, ext)| ext) {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("json") => "application/json",
            _ => "application/octet-stream",
        };
        let digest = Sha256::digest(&bytes);
        let version = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Asset {
            name,
            content_type,
            bytes,
            version,
        }
    }
}

/// Every file the page loads, by the name in its URL.
static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    macro_rules! file {
        ($name:literal, $path:literal) => {
            Asset::new(
                $name,
                std::borrow::Cow::Borrowed(include_bytes!(concat!("../../../playground/", $path))),
            )
        };
    }
    vec![
        file!("graphiql.min.js", "vendor/graphiql.min.js"),
        file!("graphiql.min.css", "vendor/graphiql.min.css"),
        file!("react.production.min.js", "vendor/react.production.min.js"),
        file!(
            "react-dom.production.min.js",
            "vendor/react-dom.production.min.js"
        ),
        file!("playground.js", "playground.js"),
        file!("playground.css", "playground.css"),
        Asset::new(
            "examples.json",
            std::borrow::Cow::Owned(examples_json(EXAMPLES)),
        ),
    ]
});

/// The page, each file it loads named with its hash.
static PAGE_WITH_VERSIONS: LazyLock<String> = LazyLock::new(|| {
    ASSETS.iter().fold(PAGE.to_owned(), |page, asset| {
        page.replace(
            &format!("\"/playground/{}\"", asset.name),
            &format!("\"/playground/{}?v={}\"", asset.name, asset.version),
        )
    })
});

/// The playground page.
pub(super) fn page() -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, REVALIDATE),
        ],
        PAGE_WITH_VERSIONS.as_str(),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /playground/<file>`: a file of the page. Kept for a year when the
/// URL names the bytes' hash (`?v=`), revalidated by ETag otherwise.
pub(super) async fn asset(
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such playground file").into_response();
    };
    let versioned = query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.strip_prefix("v=") == Some(asset.version.as_str()))
    });
    let etag = format!("\"{}\"", asset.version);
    let cache = if versioned { IMMUTABLE } else { REVALIDATE };
    let common = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, cache.to_owned()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin".to_owned(),
        ),
    ];
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    if unchanged {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(header::CONTENT_TYPE, asset.content_type)],
        asset.bytes.clone(),
    )
        .into_response()
}

/// One example of `playground/examples.graphql`.
#[derive(Debug, serde::Serialize)]
struct Example {
    /// The operation's name.
    name: String,
    title: String,
    description: String,
    /// The operation with its title and description as comments, as the
    /// editor shows it.
    document: String,
    /// A JSON object, if the operation takes variables.
    variables: Option<serde_json::Value>,
}

/// The examples as the page and the tests read them: a JSON array (empty,
/// and an error logged, if the file does not follow its format; a unit
/// test keeps it from coming to that).
fn examples_json(text: &str) -> Vec<u8> {
    let examples = parse_examples(text).unwrap_or_else(|error| {
        tracing::error!(%error, "playground/examples.graphql");
        Vec::new()
    });
    serde_json::to_vec_pretty(&examples).unwrap_or_else(|_| b"[]".to_vec())
}

/// Reads the examples: each is a block of comment lines (title, then
/// description, maybe `variables: {…}`) directly followed by a named
/// operation, which runs to the next such block.
fn parse_examples(text: &str) -> Result<Vec<Example>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let comment = |line: &str| line.starts_with('#');
    let operation = |line: &str| {
        ["query ", "mutation ", "subscription "]
            .iter()
            .any(|keyword| line.starts_with(keyword))
    };
    // Where each example's comments begin.
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| comment(lines[i]) && (i == 0 || lines[i - 1].trim().is_empty()))
        .filter(|&i| {
            let end = (i..lines.len())
                .find(|&j| !comment(lines[j]))
                .unwrap_or(lines.len());
            end < lines.len() && operation(lines[end])
        })
        .collect();
    let mut examples = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        let block = &lines[start..end];
        let comments = block.iter().take_while(|l| comment(l)).count();
        let mut title = None;
        let mut description = Vec::new();
        let mut variables = None;
        let mut document = Vec::new();
        for line in &block[..comments] {
            let text = line.trim_start_matches('#').trim();
            if let Some(json) = text.strip_prefix("variables:") {
                let value: serde_json::Value = serde_json::from_str(json)
                    .map_err(|e| format!("example at line {}: variables: {e}", start + 1))?;
                if !value.is_object() {
                    return Err(format!(
                        "example at line {}: variables must be a JSON object",
                        start + 1
                    ));
                }
                variables = Some(value);
                continue;
            }
            document.push(*line);
            if title.is_none() {
                title = Some(text.to_owned());
            } else if !text.is_empty() {
                description.push(text);
            }
        }
        let body: Vec<&str> = block[comments..].to_vec();
        let name = body[0]
            .split_whitespace()
            .nth(1)
            .map(|word| word.split(['(', '{']).next().unwrap_or_default())
            .filter(|name| !name.is_empty())
            .ok_or_else(|| format!("example at line {}: the operation has no name", start + 1))?;
        document.extend(body.iter().copied());
        examples.push(Example {
            name: name.to_owned(),
            title: title.unwrap_or_default(),
            description: description.join(" "),
            document: document.join("\n").trim_end().to_owned() + "\n",
            variables,
        });
    }
    if examples.is_empty() {
        return Err("no examples".into());
    }
    Ok(examples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_examples_file_is_an_example() {
        let examples = parse_examples(EXAMPLES).expect("the examples parse");
        let operations = EXAMPLES
            .lines()
            .filter(|l| l.starts_with("query ") || l.starts_with("mutation "))
            .count();
        assert_eq!(examples.len(), operations);
        for example in &examples {
            assert!(!example.title.is_empty(), "{example:?}");
            assert!(!example.description.is_empty(), "{example:?}");
            assert!(
                example
                    .document
                    .starts_with(&format!("# {}\n", example.title))
            );
            assert!(!example.document.contains("variables:"), "{example:?}");
            async_graphql::parser::parse_query(&example.document).expect("the example parses");
        }
        let mut names: Vec<&str> = examples.iter().map(|e| e.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), examples.len(), "example names are unique");
    }

    #[test]
    fn an_example_is_its_comments_and_its_operation() {
        let text = "# header\n\n# Title\n# Some words\n# more words.\n# variables: {\"a\": 1}\nquery A($a: Int) {\n  x\n\n  y\n}\n\n# B\n# b\nquery B { z }\n";
        let examples = parse_examples(text).unwrap();
        assert_eq!(examples.len(), 2);
        assert_eq!(examples[0].name, "A");
        assert_eq!(examples[0].title, "Title");
        assert_eq!(examples[0].description, "Some words more words.");
        assert_eq!(
            examples[0].document,
            "# Title\n# Some words\n# more words.\nquery A($a: Int) {\n  x\n\n  y\n}\n"
        );
        assert_eq!(examples[0].variables, Some(serde_json::json!({"a": 1})));
        assert_eq!(examples[1].document, "# B\n# b\nquery B { z }\n");
        assert!(parse_examples("# only words\n").is_err());
        assert!(parse_examples("# T\n# variables: [1]\nquery Q { x }\n").is_err());
    }

    #[test]
    fn the_page_names_each_file_by_its_hash() {
        for asset in ASSETS.iter() {
            let url = format!("\"/playground/{}?v={}\"", asset.name, asset.version);
            assert!(PAGE_WITH_VERSIONS.contains(&url), "{url}");
        }
        assert!(
            !PAGE_WITH_VERSIONS.contains("http"),
            "the page loads nothing from elsewhere"
        );
    }
}
