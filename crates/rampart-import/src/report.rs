//! What an import could not carry over, and what hardening changes.

use serde::Serialize;

/// What a note is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topic {
    /// Something the existing objects do that the request has no field for: not imported.
    NotImported,
    /// Something the rendered namespace does differently from the existing one.
    Hardening,
    /// Something to do before the request renders as intended (pin an image or a secret).
    Todo,
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// What kind of row it is.
    pub topic: Topic,
    /// The existing object it is about (`Deployment/web`), or the app.
    pub subject: String,
    /// What changes or what was left out, and what to do.
    pub text: String,
    /// The checklist item (`3.2`) the change serves, for hardening rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checklist: Option<&'static str>,
}

/// Rows collected while mapping objects to a request.
#[derive(Debug, Default)]
pub struct Notes(pub Vec<Note>);

impl Notes {
    /// An object or setting the request has no field for.
    pub fn skipped(&mut self, subject: impl Into<String>, text: impl Into<String>) {
        self.push(Topic::NotImported, subject, text, None);
    }

    /// A change hardening makes, with its checklist item.
    pub fn hardening(
        &mut self,
        subject: impl Into<String>,
        text: impl Into<String>,
        item: &'static str,
    ) {
        self.push(Topic::Hardening, subject, text, Some(item));
    }

    /// Something the team must do.
    pub fn todo(&mut self, subject: impl Into<String>, text: impl Into<String>) {
        self.push(Topic::Todo, subject, text, None);
    }

    fn push(
        &mut self,
        topic: Topic,
        subject: impl Into<String>,
        text: impl Into<String>,
        checklist: Option<&'static str>,
    ) {
        let note = Note {
            topic,
            subject: subject.into(),
            text: text.into(),
            checklist,
        };
        if !self.0.contains(&note) {
            self.0.push(note);
        }
    }
}
