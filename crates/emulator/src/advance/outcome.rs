//! The outcomes a tester can pick for an IDV session, and the result each produces.

use std::fmt;

use sigil_models::idv::{
    ForgeryLabel, IdvCode, IdvResult, IdvResultData, ImageType, OcrCode, OcrResult, QualityLabel,
};

/// How an H5 IDV session ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdvOutcome {
    /// Verified, with OCR data.
    Success,
    /// Forged, for this reason (OCR data still returned).
    Forgery(ForgeryLabel),
    /// Image quality too low (`blur`, `dim`).
    LowQuality,
    /// No document in the picture.
    CardNotFound,
    /// Several documents.
    TooManyCards,
    /// Not a KTP.
    NoSupportedCard,
    /// Document cut off.
    IncompletedCard,
    /// Document too small.
    TooSmallCard,
    /// Verified, but OCR read nothing.
    OcrNoResult,
    /// Server error.
    Error,
}

impl IdvOutcome {
    /// Every outcome the H5 page offers, in its order.
    pub fn all() -> Vec<IdvOutcome> {
        let mut all = vec![IdvOutcome::Success];
        all.extend(ForgeryLabel::KNOWN.iter().cloned().map(IdvOutcome::Forgery));
        all.extend([
            IdvOutcome::LowQuality,
            IdvOutcome::CardNotFound,
            IdvOutcome::TooManyCards,
            IdvOutcome::NoSupportedCard,
            IdvOutcome::IncompletedCard,
            IdvOutcome::TooSmallCard,
            IdvOutcome::OcrNoResult,
            IdvOutcome::Error,
        ]);
        all
    }

    /// A short human label for the H5 page.
    pub fn label(&self) -> String {
        match self {
            IdvOutcome::Success => "Success with OCR data".into(),
            IdvOutcome::Forgery(l) => format!("Forgery: {}", l.as_str()),
            IdvOutcome::LowQuality => "Low quality image".into(),
            IdvOutcome::CardNotFound => "Card not found".into(),
            IdvOutcome::TooManyCards => "Too many cards".into(),
            IdvOutcome::NoSupportedCard => "Not a supported card".into(),
            IdvOutcome::IncompletedCard => "Card not complete".into(),
            IdvOutcome::TooSmallCard => "Card too small".into(),
            IdvOutcome::OcrNoResult => "Verified, OCR without result".into(),
            IdvOutcome::Error => "Server error".into(),
        }
    }

    /// Whether the user is sent to `returnUrl` (OCR results obtained) rather than
    /// `failReturnUrl`.
    pub fn returns_to_success_url(&self) -> bool {
        matches!(self, IdvOutcome::Success | IdvOutcome::Forgery(_))
    }

    /// The `get-result` data of a session that ended this way.
    pub fn result(&self, image_base: &str) -> IdvResultData {
        let (idv_code, ocr_code) = match self {
            IdvOutcome::Success => (IdvCode::Success, Some(OcrCode::Success)),
            IdvOutcome::Forgery(_) => (IdvCode::ForgeryDetected, Some(OcrCode::Success)),
            IdvOutcome::LowQuality => (IdvCode::LowQualityImage, None),
            IdvOutcome::CardNotFound => (IdvCode::CardNotFound, None),
            IdvOutcome::TooManyCards => (IdvCode::TooManyCards, None),
            IdvOutcome::NoSupportedCard => (IdvCode::NoSupportedCard, None),
            IdvOutcome::IncompletedCard => (IdvCode::IncompletedCard, None),
            IdvOutcome::TooSmallCard => (IdvCode::TooSmallCard, None),
            IdvOutcome::OcrNoResult => (IdvCode::Success, Some(OcrCode::OcrNoResult)),
            IdvOutcome::Error => (IdvCode::Error, None),
        };
        let ocr_result = (ocr_code == Some(OcrCode::Success)).then(sample_ocr);
        IdvResultData {
            image: Some(format!("{image_base}/front.svg")),
            cropped_image: Some(format!("{image_base}/cropped.svg")),
            image_type: Some(ImageType::Scan),
            idv_code: Some(idv_code),
            idv_result: Some(IdvResult {
                forgery_labels: Some(match self {
                    IdvOutcome::Forgery(label) => vec![label.clone()],
                    _ => Vec::new(),
                }),
                is_low_quality: Some(*self == IdvOutcome::LowQuality),
                // Always present, as in the document's example answer (empty unless low quality).
                quality_labels: Some(if *self == IdvOutcome::LowQuality {
                    vec![QualityLabel::Blur, QualityLabel::Dim]
                } else {
                    Vec::new()
                }),
            }),
            ocr_code,
            ocr_result,
        }
    }
}

/// OCR fields of an invented KTP.
fn sample_ocr() -> OcrResult {
    let s = |v: &str| Some(v.to_owned());
    OcrResult {
        id_number: s("3171234567890001"),
        name: s("SIGIL EMULATOR"),
        blood_type: s("O"),
        religion: s("ISLAM"),
        gender: s("PEREMPUAN"),
        birth_place_birthday: s("JAKARTA, 01-06-1989"),
        province: s("DKI JAKARTA"),
        city: s("JAKARTA SELATAN"),
        district: s("KEBAYORAN BARU"),
        village: s("SENAYAN"),
        rtrw: s("011/002"),
        occupation: s("KARYAWAN SWASTA"),
        expiry_date: s("SEUMUR HIDUP"),
        nationality: s("WNI"),
        marital_status: s("KAWIN"),
        address: s("JL. SUDIRMAN NO. 1"),
        place_of_birth: s("JAKARTA"),
        birthday: s("1989/06/01"),
    }
}

impl fmt::Display for IdvOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdvOutcome::Success => f.write_str("success"),
            IdvOutcome::Forgery(l) => write!(f, "forgery:{}", l.as_str()),
            IdvOutcome::LowQuality => f.write_str("low_quality"),
            IdvOutcome::CardNotFound => f.write_str("card_not_found"),
            IdvOutcome::TooManyCards => f.write_str("too_many_cards"),
            IdvOutcome::NoSupportedCard => f.write_str("no_supported_card"),
            IdvOutcome::IncompletedCard => f.write_str("incompleted_card"),
            IdvOutcome::TooSmallCard => f.write_str("too_small_card"),
            IdvOutcome::OcrNoResult => f.write_str("ocr_no_result"),
            IdvOutcome::Error => f.write_str("error"),
        }
    }
}

impl std::str::FromStr for IdvOutcome {
    type Err = String;

    /// The [`Display`](fmt::Display) form: `success`, `forgery:<label>`, `low_quality`, …
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(label) = s.strip_prefix("forgery:") {
            return match ForgeryLabel::from(label) {
                ForgeryLabel::Unknown(_) => Err(format!("unknown forgery label {label:?}")),
                known => Ok(IdvOutcome::Forgery(known)),
            };
        }
        IdvOutcome::all()
            .into_iter()
            .find(|o| o.to_string() == s)
            .ok_or_else(|| format!("unknown outcome {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_round_trips_through_text() {
        for o in IdvOutcome::all() {
            assert_eq!(o.to_string().parse::<IdvOutcome>(), Ok(o.clone()));
        }
        assert!("forgery:nope".parse::<IdvOutcome>().is_err());
        assert!("maybe".parse::<IdvOutcome>().is_err());
    }

    #[test]
    fn ocr_only_when_documented() {
        for o in IdvOutcome::all() {
            let r = o.result("http://x");
            let has_ocr_code = r.ocr_code.is_some();
            let idv = r.idv_code.clone();
            assert_eq!(
                has_ocr_code,
                matches!(idv, Some(IdvCode::Success | IdvCode::ForgeryDetected)),
                "{o}"
            );
        }
    }
}
