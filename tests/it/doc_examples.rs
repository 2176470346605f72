//! Every YAML example in `README.md` and `docs/*.md` that shows a Rampart input is accepted
//! by the parser `rampart` itself uses for that file: `parse_repo_config` (plus
//! `check_service`) for `rampart.yaml`, `parse_environment` for `environments/<env>.yaml` and
//! `parse_request` for `specs/<ns>.yaml`, all from `rampart-model`. A reader who copies an
//! example gets no unknown-field or validation error.
//!
//! **Blocks.** Every fenced block whose info string is `yaml` or `yml` is read (indented
//! fences too). A block is cut into documents at `---` lines and at *file markers*: a
//! comment line at column 0 naming the file the lines below belong to, `# rampart.yaml`,
//! `# environments/<env>.yaml` or `# specs/<ns>.yaml`, optionally followed by a path (below)
//! and a `# comment`. So one block can show the `service:` of `rampart.yaml` and of an
//! environment, each checked as its own file.
//!
//! **Shape.** Each document gets its shape from, in order:
//! 1. its file marker;
//! 2. else an HTML comment on the line before the fence (blank lines may sit between):
//!    `<!-- doc-example: FILE [PATH] -->` with FILE as in a file marker, or
//!    `<!-- doc-example: none (why) -->` for a block that is no Rampart input and has no
//!    `kind` (an excerpt of a rendered manifest, say): it is not checked;
//! 3. else its `kind`: `RepoConfig`, `Environment` or `NamespaceRequest`; any other `kind`
//!    with an `apiVersion` outside `rampart.dev/` is a Kubernetes manifest and not checked;
//! 4. else its top-level keys, compared with the fields each input type accepts (read from
//!    the types' own serde "unknown field … expected one of …" message, so the lists follow
//!    the code): the one type that shares keys with the document, or, when several do, the
//!    one that has all of them.
//!
//! A document that none of these classify, or that step 4 finds ambiguous (`service:` is a
//! key of both `rampart.yaml` and an environment), fails the test: mark it rather than have
//! it skipped. A `rampart.dev/` `apiVersion` with another `kind` fails too.
//!
//! **Fragments.** A document without both `apiVersion` and `kind` is a fragment. It is
//! merged into the file `rampart init` writes for that type — `examples/rampart.yaml`,
//! `environments/<env>.yaml` (`dev` unless a marker or the fragment's `name` says
//! otherwise), `examples/shop.yaml` — and the result is parsed, so a misspelt key in a
//! fragment still fails. Merging: mappings key by key, recursively; lists whose items all
//! have a `name` item by item (an app or secret of the same name is merged into, others
//! are added); any other value, lists included, replaces the base's. A marker's PATH puts the
//! fragment deeper, e.g. `apps[api].secrets` (the `secrets` of the app named `api`).
//! Complete documents are parsed exactly as written.
//!
//! **Context.** The checks run in the repository `rampart init` creates: requests against
//! its three environments and `rampart.yaml`'s required labels; `rampart.yaml` against the
//! environments it lists, and an environment with `rampart.yaml`'s `service:` (as `render`
//! does), naming `shop` as the one requested namespace.
//!
//! A failure names `file:line` of the example (for a complete document the line of the
//! error itself), the parser's diagnostics and, for a fragment, the merged document.

use rampart_model::{
    Diagnostics, Environment, NamespaceRequest, RepoConfig, RequestContext, check_service,
    parse_environment, parse_repo_config, parse_request,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// At least this many documents of each shape must have been checked: the test cannot
/// pass by classifying nothing. Raise them when examples are added.
const MIN_REPO_CONFIG: usize = 6;
const MIN_ENVIRONMENT: usize = 4;
const MIN_REQUEST: usize = 3;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// README.md and every docs/*.md, by repository-relative path.
fn markdown_files() -> Vec<String> {
    let mut files = vec!["README.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| {
            e.expect("docs/ entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    RepoConfig,
    Environment,
    Request,
}

impl Shape {
    const ALL: [Shape; 3] = [Shape::RepoConfig, Shape::Environment, Shape::Request];

    fn kind(self) -> &'static str {
        match self {
            Shape::RepoConfig => "RepoConfig",
            Shape::Environment => "Environment",
            Shape::Request => "NamespaceRequest",
        }
    }

    /// The top-level fields the type accepts, as its serde error lists them.
    fn fields(self) -> Vec<String> {
        match self {
            Shape::RepoConfig => accepted_fields::<RepoConfig>(),
            Shape::Environment => accepted_fields::<Environment>(),
            Shape::Request => accepted_fields::<NamespaceRequest>(),
        }
    }
}

fn accepted_fields<T: DeserializeOwned>() -> Vec<String> {
    let error = rampart_yaml::reference::typed::<T>("zz-doc-example-probe: 0\n")
        .err()
        .expect("an unknown field is refused")
        .to_string();
    let (_, list) = error
        .split_once("expected one of ")
        .unwrap_or_else(|| panic!("no field list in serde's message: {error}"));
    let fields: Vec<String> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert!(
        fields.len() > 3,
        "no field list in serde's message: {error}"
    );
    fields
}

/// Where a document belongs: the file it is (part of), and where in it a fragment goes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    shape: Shape,
    /// `rampart.yaml`, `environments/<env>.yaml` or `specs/<ns>.yaml`.
    file: String,
    /// The environment or namespace name the file name gives.
    stem: String,
    /// For a fragment: where in the base document it is merged (`apps[api].secrets`).
    path: Option<String>,
}

/// `FILE [PATH]` of a marker.
fn parse_target(spec: &str) -> Result<Target, String> {
    let mut words = spec.split_whitespace();
    let file = words.next().ok_or("empty marker")?.to_owned();
    let path = words.next().map(str::to_owned);
    if let Some(extra) = words.next() {
        return Err(format!("unexpected `{extra}` in marker `{spec}`"));
    }
    let (shape, stem) = if file == "rampart.yaml" {
        (Shape::RepoConfig, String::new())
    } else if let Some(stem) = file
        .strip_prefix("environments/")
        .and_then(|f| f.strip_suffix(".yaml"))
    {
        (Shape::Environment, stem.to_owned())
    } else if let Some(stem) = file
        .strip_prefix("specs/")
        .and_then(|f| f.strip_suffix(".yaml"))
    {
        (Shape::Request, stem.to_owned())
    } else {
        return Err(format!(
            "marker names `{file}`; expected rampart.yaml, environments/<env>.yaml or \
             specs/<ns>.yaml"
        ));
    };
    Ok(Target {
        shape,
        file,
        stem,
        path,
    })
}

/// A file marker line: `# rampart.yaml`, `# environments/prod.yaml apps…  # comment`.
fn file_marker(line: &str) -> Option<String> {
    let rest = line.strip_prefix('#')?.trim_start();
    let spec = rest.split(" #").next().unwrap_or_default().trim();
    let file = spec.split_whitespace().next()?;
    let names_input = file == "rampart.yaml"
        || ((file.starts_with("environments/") || file.starts_with("specs/"))
            && file.ends_with(".yaml"));
    names_input.then(|| spec.to_owned())
}

/// What the HTML comment before a fence says.
#[derive(Debug, Clone)]
enum FenceMarker {
    Target(String),
    None,
}

/// One YAML document of a fenced block.
struct Doc {
    /// `README.md:123`: where the document's first line is.
    file: String,
    line: usize,
    text: String,
    /// From a file marker inside the block.
    in_block: Option<String>,
    /// From the HTML comment before the fence.
    fence: Option<FenceMarker>,
}

/// Every YAML document in the fenced `yaml`/`yml` blocks of `text`.
fn yaml_docs(file: &str, text: &str) -> Vec<Doc> {
    let lines: Vec<&str> = text.lines().collect();
    let mut docs = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let Some(info) = trimmed.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let indent = lines[i].len() - trimmed.len();
        let lang = info.split_whitespace().next().unwrap_or_default();
        let yaml = lang.eq_ignore_ascii_case("yaml") || lang.eq_ignore_ascii_case("yml");
        let fence = if yaml {
            fence_marker(&lines[..i])
        } else {
            None
        };
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].trim_start().starts_with("```") {
            end += 1;
        }
        assert!(end < lines.len(), "{file}:{}: unclosed code fence", i + 1);
        if yaml {
            let body: Vec<&str> = lines[start..end]
                .iter()
                .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
                .collect();
            split_block(file, start + 1, &body, fence, &mut docs);
        }
        i = end + 1;
    }
    docs
}

/// The `<!-- doc-example: … -->` comment right before line `before.len()`, if any.
fn fence_marker(before: &[&str]) -> Option<FenceMarker> {
    let line = before.iter().rev().find(|l| !l.trim().is_empty())?.trim();
    let spec = line
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim()
        .strip_prefix("doc-example:")?
        .trim();
    Some(if spec == "none" || spec.starts_with("none ") {
        FenceMarker::None
    } else {
        FenceMarker::Target(spec.to_owned())
    })
}

/// Cuts a block (`first_line`: the doc line of `body[0]`) at `---` and file markers.
fn split_block(
    file: &str,
    first_line: usize,
    body: &[&str],
    fence: Option<FenceMarker>,
    docs: &mut Vec<Doc>,
) {
    let mut marker: Option<String> = None;
    let mut start = 0;
    let flush = |from: usize, to: usize, marker: &Option<String>, docs: &mut Vec<Doc>| {
        let text = body[from..to].join("\n") + "\n";
        let blank = text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        if !blank {
            docs.push(Doc {
                file: file.to_owned(),
                line: first_line + from,
                text,
                in_block: marker.clone(),
                fence: fence.clone(),
            });
        }
    };
    for (n, line) in body.iter().enumerate() {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            flush(start, n, &marker, docs);
            // A new document: a file marker names the lines up to the next document only.
            marker = None;
            start = n + 1;
        } else if let Some(spec) = file_marker(line) {
            flush(start, n, &marker, docs);
            marker = Some(spec);
            start = n + 1;
        }
    }
    flush(start, body.len(), &marker, docs);
}

/// How a document is checked.
enum Class {
    Input(Target),
    /// A Kubernetes manifest, or marked as no input.
    Skipped(&'static str),
}

fn classify(doc: &Doc, value: &Value) -> Result<Class, String> {
    if let Some(spec) = &doc.in_block {
        return parse_target(spec).map(Class::Input);
    }
    match &doc.fence {
        Some(FenceMarker::Target(spec)) => return parse_target(spec).map(Class::Input),
        Some(FenceMarker::None) => return Ok(Class::Skipped("marked as no Rampart input")),
        None => {}
    }
    let map = value.as_object().ok_or(
        "not a mapping; mark it with <!-- doc-example: none (why) --> if it is no Rampart input",
    )?;
    let name = map.get("name").and_then(Value::as_str);
    let target = |shape: Shape| {
        let (file, stem) = match shape {
            Shape::RepoConfig => ("rampart.yaml".to_owned(), String::new()),
            Shape::Environment => {
                let stem = name.unwrap_or("dev");
                (format!("environments/{stem}.yaml"), stem.to_owned())
            }
            Shape::Request => {
                let stem = name.unwrap_or("shop");
                (format!("specs/{stem}.yaml"), stem.to_owned())
            }
        };
        Target {
            shape,
            file,
            stem,
            path: None,
        }
    };
    if let Some(kind) = map.get("kind") {
        let kind = kind.as_str().unwrap_or_default();
        if let Some(shape) = Shape::ALL.into_iter().find(|s| s.kind() == kind) {
            return Ok(Class::Input(target(shape)));
        }
        let api_version = map
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if api_version.starts_with("rampart.dev/") {
            return Err(format!(
                "apiVersion {api_version} with kind `{kind}`: expected RepoConfig, \
                 Environment or NamespaceRequest"
            ));
        }
        if !api_version.is_empty() {
            return Ok(Class::Skipped("a Kubernetes manifest"));
        }
    }
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    let sharing: Vec<(Shape, Vec<String>)> = Shape::ALL
        .into_iter()
        .map(|s| (s, s.fields()))
        .filter(|(_, fields)| keys.iter().any(|k| fields.iter().any(|f| f == k)))
        .collect();
    let shape = match sharing.as_slice() {
        [] => {
            return Err(format!(
                "its top-level keys {keys:?} are no fields of rampart.yaml, an environment \
                 or a request; mark it with a `# <file>` line, or with \
                 <!-- doc-example: FILE [PATH] --> (or `none (why)`) before the fence"
            ));
        }
        [(shape, _)] => *shape,
        several => {
            let covering: Vec<Shape> = several
                .iter()
                .filter(|(_, fields)| keys.iter().all(|k| fields.iter().any(|f| f == k)))
                .map(|(s, _)| *s)
                .collect();
            match covering.as_slice() {
                [shape] => *shape,
                _ => {
                    return Err(format!(
                        "ambiguous: keys {keys:?} fit {:?}; name the file with a `# <file>` \
                         line at the top of the block",
                        several.iter().map(|(s, _)| *s).collect::<Vec<_>>()
                    ));
                }
            }
        }
    };
    Ok(Class::Input(target(shape)))
}

/// The file `rampart init` writes for `target`, which a fragment is merged into.
fn base_text(target: &Target) -> Result<String, String> {
    let rel = match target.shape {
        Shape::RepoConfig => "examples/rampart.yaml".to_owned(),
        Shape::Environment => format!("environments/{}.yaml", target.stem),
        Shape::Request => "examples/shop.yaml".to_owned(),
    };
    std::fs::read_to_string(root().join(&rel))
        .map_err(|e| format!("no base document {rel} to merge the fragment into: {e}"))
}

/// `fragment` merged into `base` (see the module documentation).
fn merge(base: &mut Value, fragment: Value) {
    match (base, fragment) {
        (Value::Object(base), Value::Object(fragment)) => {
            for (key, value) in fragment {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (Value::Array(base), Value::Array(fragment)) if all_named(base) && all_named(&fragment) => {
            for item in fragment {
                let name = item.get("name").cloned();
                match base.iter_mut().find(|b| b.get("name") == name.as_ref()) {
                    Some(existing) => merge(existing, item),
                    None => base.push(item),
                }
            }
        }
        (base, fragment) => *base = fragment,
    }
}

fn all_named(items: &[Value]) -> bool {
    items
        .iter()
        .all(|i| i.as_object().is_some_and(|m| m.contains_key("name")))
}

/// The value at `path` (`apps[api].secrets`) in `doc`.
fn at_path<'a>(doc: &'a mut Value, path: &str) -> Result<&'a mut Value, String> {
    let mut here = doc;
    for segment in path.split('.') {
        let (key, name) = match segment.split_once('[') {
            Some((key, rest)) => (
                key,
                Some(
                    rest.strip_suffix(']')
                        .ok_or(format!("bad path segment `{segment}`"))?,
                ),
            ),
            None => (segment, None),
        };
        here = here.get_mut(key).ok_or(format!(
            "`{key}` of path `{path}` is not in the base document"
        ))?;
        if let Some(name) = name {
            here = here
                .as_array_mut()
                .and_then(|items| {
                    items
                        .iter_mut()
                        .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
                })
                .ok_or(format!(
                    "no item named `{name}` under `{key}` of path `{path}` in the base document"
                ))?;
        }
    }
    Ok(here)
}

/// The text to parse: the document itself when complete, else merged into its base.
fn document_text(target: &Target, doc: &Doc, value: Value) -> Result<(String, bool), String> {
    let complete = value
        .as_object()
        .is_some_and(|m| m.contains_key("apiVersion") && m.contains_key("kind"));
    if complete && target.path.is_none() {
        return Ok((doc.text.clone(), false));
    }
    let base = base_text(target)?;
    let mut merged: Value =
        rampart_yaml::reference::typed(&base).map_err(|e| format!("base: {e}"))?;
    match &target.path {
        Some(path) => merge(at_path(&mut merged, path)?, value),
        None => merge(&mut merged, value),
    }
    let text = rampart_yaml::to_string(&merged).map_err(|e| e.to_string())?;
    Ok((text, true))
}

/// The init repository's `rampart.yaml` and environments.
struct Context {
    config_text: String,
    config: RepoConfig,
    environments: Vec<Environment>,
}

impl Context {
    fn load() -> Context {
        let config_text = read("examples/rampart.yaml");
        let config = parse_repo_config("rampart.yaml", &config_text)
            .unwrap_or_else(|d| panic!("examples/rampart.yaml:\n{d}"));
        let environments = environments_of(&config).unwrap_or_else(|e| panic!("{e}"));
        Context {
            config_text,
            config,
            environments,
        }
    }
}

fn environments_of(config: &RepoConfig) -> Result<Vec<Environment>, String> {
    config
        .environments
        .iter()
        .map(|name| {
            let rel = format!("environments/{name}.yaml");
            let text = std::fs::read_to_string(root().join(&rel))
                .map_err(|e| format!("rampart.yaml lists `{name}`, but {rel}: {e}"))?;
            parse_environment(&rel, &text, name).map_err(|d| d.to_string())
        })
        .collect()
}

/// Parses `text` as `target`'s file type, in the init repository `ctx`.
fn check(target: &Target, text: &str, ctx: &Context) -> Result<(), String> {
    let shown = |d: Diagnostics| d.to_string();
    match target.shape {
        Shape::RepoConfig => {
            let config = parse_repo_config(&target.file, text).map_err(shown)?;
            let environments = environments_of(&config)?;
            check_service(&target.file, text, &config, &environments, &["shop"]).map_err(shown)
        }
        Shape::Environment => {
            let env = parse_environment(&target.file, text, &target.stem).map_err(shown)?;
            let environments: Vec<Environment> = ctx
                .environments
                .iter()
                .map(|e| {
                    if e.name == env.name {
                        env.clone()
                    } else {
                        e.clone()
                    }
                })
                .collect();
            check_service(
                "rampart.yaml (examples/rampart.yaml, with this environment)",
                &ctx.config_text,
                &ctx.config,
                &environments,
                &["shop"],
            )
            .map_err(shown)
        }
        Shape::Request => {
            let request_ctx = RequestContext {
                file_stem: &target.stem,
                required_labels: &ctx.config.governance.required_labels,
                environments: &ctx.environments,
                delivery_mode: ctx.config.delivery.mode,
            };
            parse_request(&target.file, text, &request_ctx)
                .map(drop)
                .map_err(shown)
        }
    }
}

/// The parser's `error` for a complete document, each diagnostic's `FILE:LINE:COL` also
/// given as the line of the Markdown file, so an editor can jump to it.
fn located(doc: &Doc, file: &str, error: &str) -> String {
    let mut out = String::new();
    for line in error.lines() {
        // `FILE:LINE:COL: error: …`; the document starts at doc.line.
        let doc_line = line
            .strip_prefix(file)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|rest| rest.split(':').next())
            .and_then(|n| n.parse::<usize>().ok());
        match doc_line {
            Some(n) => {
                let _ = writeln!(out, "  {}:{}: {line}", doc.file, doc.line + n - 1);
            }
            None => {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    out
}

fn indented(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

fn numbered(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| format!("    {:>3} | {l}\n", i + 1))
        .collect()
}

#[test]
fn doc_yaml_examples_are_accepted_by_the_parser() {
    let ctx = Context::load();
    let mut failures = Vec::new();
    let mut checked = [0_usize; 3];
    let mut skipped = 0;
    for file in markdown_files() {
        for doc in yaml_docs(&file, &read(&file)) {
            let at = format!("{}:{}", doc.file, doc.line);
            let value: Value = match rampart_yaml::reference::typed(&doc.text) {
                Ok(value) => value,
                Err(e) => {
                    failures.push(format!(
                        "{at}: not valid YAML: {e}\n{}",
                        numbered(&doc.text)
                    ));
                    continue;
                }
            };
            let target = match classify(&doc, &value) {
                Ok(Class::Input(target)) => target,
                Ok(Class::Skipped(why)) => {
                    println!("{at}: not checked ({why})");
                    skipped += 1;
                    continue;
                }
                Err(why) => {
                    failures.push(format!(
                        "{at}: cannot tell which Rampart file this is: {why}"
                    ));
                    continue;
                }
            };
            let what = match &target.path {
                Some(path) => format!("{} at {path}", target.file),
                None => target.file.clone(),
            };
            let (text, merged) = match document_text(&target, &doc, value) {
                Ok(found) => found,
                Err(e) => {
                    failures.push(format!("{at}: as {what}: {e}"));
                    continue;
                }
            };
            let index = Shape::ALL.iter().position(|s| *s == target.shape).unwrap();
            checked[index] += 1;
            match check(&target, &text, &ctx) {
                Ok(()) => println!(
                    "{at}: {what} {}: accepted",
                    if merged {
                        "(fragment, merged)"
                    } else {
                        "(complete)"
                    }
                ),
                Err(error) if merged => failures.push(format!(
                    "{at}: this fragment, merged into the `rampart init` {what}, is refused \
                     (lines are those of the merged document below):\n{}{}",
                    indented(&error),
                    numbered(&text)
                )),
                Err(error) => failures.push(format!(
                    "{at}: this {what} is refused:\n{}",
                    located(&doc, &target.file, &error)
                )),
            }
        }
    }
    let [repo_config, environment, request] = checked;
    println!(
        "checked {repo_config} rampart.yaml, {environment} environment and {request} request \
         examples; {skipped} other YAML blocks not checked"
    );
    assert!(
        failures.is_empty(),
        "{} doc example(s) refused:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    for (shape, count, min) in [
        ("rampart.yaml", repo_config, MIN_REPO_CONFIG),
        ("environment", environment, MIN_ENVIRONMENT),
        ("request", request, MIN_REQUEST),
    ] {
        assert!(
            count >= min,
            "only {count} {shape} examples were checked, expected at least {min}: \
             did the classification break?"
        );
    }
}

/// The pieces the test relies on behave: fences, markers, classification and merging.
#[test]
fn doc_example_machinery() {
    let md = [
        "intro",
        "",
        "<!-- doc-example: specs/shop.yaml apps[api].secrets -->",
        "",
        "```yaml",
        "- name: api-db", // line 6
        "```",
        "",
        "  ```yml",
        "  # rampart.yaml",
        "  delivery: {mode: push}", // line 11
        "  # environments/prod.yaml  # prod",
        "  service: {}", // line 13
        "  ---",
        "  apiVersion: v1", // line 15: a new document, no marker
        "  kind: ConfigMap",
        "  ```",
        "```sh",
        "kind: NamespaceRequest",
        "```",
    ]
    .join("\n");
    let docs = yaml_docs("x.md", &md);
    let summary: Vec<(usize, Option<String>)> =
        docs.iter().map(|d| (d.line, d.in_block.clone())).collect();
    assert_eq!(
        summary,
        [
            (6, None),
            (11, Some("rampart.yaml".to_owned())),
            (13, Some("environments/prod.yaml".to_owned())),
            (15, None),
        ]
    );
    let value = |d: &Doc| rampart_yaml::reference::typed::<Value>(&d.text).unwrap();
    let Ok(Class::Input(first)) = classify(&docs[0], &value(&docs[0])) else {
        panic!("the fence marker classifies")
    };
    assert_eq!(first.path.as_deref(), Some("apps[api].secrets"));
    assert_eq!(first.shape, Shape::Request);

    let unmarked = |text: &str| Doc {
        file: "x.md".to_owned(),
        line: 1,
        text: text.to_owned(),
        in_block: None,
        fence: None,
    };
    let shape_of = |text: &str| match classify(
        &unmarked(text),
        &rampart_yaml::reference::typed(text).unwrap(),
    ) {
        Ok(Class::Input(t)) => Ok(Some(t.shape)),
        Ok(Class::Skipped(_)) => Ok(None),
        Err(e) => Err(e),
    };
    assert_eq!(shape_of("delivery: {}\n"), Ok(Some(Shape::RepoConfig)));
    assert_eq!(shape_of("secretStores: {}\n"), Ok(Some(Shape::Environment)));
    assert_eq!(shape_of("apps: []\nteam: x\n"), Ok(Some(Shape::Request)));
    // A misspelt key next to a known one still classifies, so the parser refuses it.
    assert_eq!(
        shape_of("delivery: {}\ndelivry: {}\n"),
        Ok(Some(Shape::RepoConfig))
    );
    assert_eq!(shape_of("apiVersion: v1\nkind: Pod\n"), Ok(None));
    assert!(shape_of("service: {}\n").unwrap_err().contains("ambiguous"));
    assert!(shape_of("rotation: {}\n").is_err());
    assert!(shape_of("apiVersion: rampart.dev/v1alpha1\nkind: Request\n").is_err());

    let mut base: Value = rampart_yaml::reference::typed(
        "apps:\n- {name: a, ports: [1]}\n- {name: b}\nlabels: {x: '1'}\n",
    )
    .unwrap();
    merge(
        &mut base,
        rampart_yaml::reference::typed(
            "apps:\n- {name: b, secrets: []}\n- {name: c}\nlabels: {y: '2'}\n",
        )
        .unwrap(),
    );
    assert_eq!(
        base,
        rampart_yaml::reference::typed::<Value>(
            "apps:\n- {name: a, ports: [1]}\n- {name: b, secrets: []}\n- {name: c}\n\
             labels: {x: '1', y: '2'}\n",
        )
        .unwrap()
    );
    let mut shop: Value = rampart_yaml::reference::typed(&read("examples/shop.yaml")).unwrap();
    assert!(at_path(&mut shop, "apps[api].secrets").unwrap().is_array());
    assert!(at_path(&mut shop, "apps[nope].secrets").is_err());
}
