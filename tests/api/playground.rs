//! The playground: the page loads nothing from elsewhere, the vendored
//! files are served byte for byte as `playground/vendor/VERSIONS` records
//! them, and every example it offers runs (so none goes stale). The page
//! itself is driven in a browser by `tests/browser/playground.mjs`.

use crate::helpers::{errors, spawn_app};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The repository's `playground/` folder.
fn folder() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("playground")
}

/// The URLs a page loads (`src` and `href` attributes, and the examples').
fn urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attribute in ["src=\"", "href=\"", "data-examples=\""] {
        for (i, _) in html.match_indices(attribute) {
            let rest = &html[i + attribute.len()..];
            urls.push(rest[..rest.find('"').unwrap_or(rest.len())].to_owned());
        }
    }
    urls
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The page names only files of the hub, each with its hash; its
/// Content-Security-Policy lets it load and call nothing else; each file is
/// served with its type and kept for a year.
#[tokio::test]
async fn the_playground_loads_everything_from_the_hub() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let page = app.get("/graphql").await?;
    assert_eq!(page.status(), 200);
    assert!(header(&page, "content-type").starts_with("text/html"));
    let csp = header(&page, "content-security-policy").to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "connect-src 'self';",
        "style-src 'self' 'sha256-",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    let html = page.text().await?;
    assert!(
        !html.contains("http:") && !html.contains("https:"),
        "{html}"
    );
    assert!(
        !html.contains("<script>") && !html.contains("<style"),
        "no inline code"
    );
    let urls = urls(&html);
    assert_eq!(urls.len(), 8, "{urls:?}");
    for url in urls.iter().filter(|u| *u != "data:,") {
        assert!(
            url.starts_with("/playground/") && url.contains("?v="),
            "{url}"
        );
        let response = app.get(url).await?;
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(
            header(&response, "cache-control"),
            "public, max-age=31536000, immutable",
            "{url}"
        );
        let expected = match url.split('?').next().unwrap_or_default() {
            u if u.ends_with(".js") => "text/javascript",
            u if u.ends_with(".css") => "text/css",
            _ => "application/json",
        };
        assert!(
            header(&response, "content-type").starts_with(expected),
            "{url}"
        );
    }
    // Without the hash a file is revalidated, by its ETag.
    let plain = app.get("/playground/playground.js").await?;
    assert_eq!(header(&plain, "cache-control"), "no-cache");
    let etag = header(&plain, "etag").to_owned();
    let script = plain.text().await?;
    assert!(script.contains("shouldPersistHeaders: false"));
    assert!(!script.contains("localStorage"), "nothing outlives the tab");
    let again = app
        .client
        .get(format!("{}/playground/playground.js", app.address))
        .header("If-None-Match", &etag)
        .send()
        .await?;
    assert_eq!(again.status(), 304);
    assert_eq!(app.get("/playground/VERSIONS").await?.status(), 404);
    assert_eq!(app.get("/playground/..%2FCargo.toml").await?.status(), 404);
    Ok(())
}

/// The hub serves the vendored files exactly as `VERSIONS` records them.
#[tokio::test]
async fn the_vendored_files_are_those_of_versions() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let versions = std::fs::read_to_string(folder().join("vendor/VERSIONS"))?;
    let mut files = 0;
    for line in versions.lines().filter(|l| !l.starts_with('#')) {
        let [package, version, file, sha256] = line.split_whitespace().collect::<Vec<_>>()[..]
        else {
            panic!("a VERSIONS line is `package version file sha256`: {line}");
        };
        let response = app.get(&format!("/playground/{file}")).await?;
        assert_eq!(response.status(), 200, "{file}");
        let bytes = response.bytes().await?;
        let served: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(served, sha256, "{package} {version} {file}");
        files += 1;
    }
    assert_eq!(files, 4, "graphiql's script and style, react, react-dom");
    Ok(())
}

/// Every example the playground offers runs as the demo agency it is
/// written for, without errors, and finds something.
#[tokio::test]
async fn every_playground_example_runs() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let examples: Value = app.get("/playground/examples.json").await?.json().await?;
    let examples = examples.as_array().cloned().unwrap_or_default();
    let source = std::fs::read_to_string(folder().join("examples.graphql"))?;
    let operations = source
        .lines()
        .filter(|l| l.starts_with("query ") || l.starts_with("mutation "))
        .count();
    assert!(operations >= 4, "a few examples");
    assert_eq!(examples.len(), operations, "every operation is offered");
    let token = app.token("UBND-68").await?;
    for example in &examples {
        let name = example["name"].as_str().unwrap_or_default();
        assert!(!example["title"].as_str().unwrap_or_default().is_empty());
        let document = example["document"].as_str().unwrap_or_default();
        let body = app
            .graphql_with(&token, document, example["variables"].clone())
            .await?;
        assert!(errors(&body).is_empty(), "{name}: {body}");
        let data = body["data"].as_object().expect("data");
        assert!(!data.is_empty(), "{name}: {body}");
        for (field, value) in data {
            let found = match value {
                Value::Null => false,
                Value::Array(items) => !items.is_empty(),
                Value::Object(object) => object
                    .get("edges")
                    .is_none_or(|edges| edges.as_array().is_some_and(|e| !e.is_empty())),
                _ => true,
            };
            assert!(found, "{name}: {field} found nothing: {body}");
        }
    }
    Ok(())
}
