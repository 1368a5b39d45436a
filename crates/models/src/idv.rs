//! ADVANCE.AI H5 ID verification, backend side: `generate-url` and `get-result`.
//!
//! Paths (after the host): the document's `intl/openapi/face-identity/h5-idv/v1/…` and the
//! vendor's newer `intl/openapi/identity-risk/idvs-h5/ekyc/v1/…`; clients let the prefix be
//! configured ([`IDV_PATH_PREFIX`], [`IDV_PATH_PREFIX_EKYC`]).

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::advance::Envelope;
use crate::error::{ModelError, http_url, non_empty};
use crate::open_enum::open_enum;
use crate::redacted::{UrlWithoutQuery, debug_present_fields};
use crate::timestamp::TimestampMs;

/// The document's path prefix of the H5 IDV endpoints.
pub const IDV_PATH_PREFIX: &str = "intl/openapi/face-identity/h5-idv/v1";
/// The vendor's current path prefix of the same endpoints.
pub const IDV_PATH_PREFIX_EKYC: &str = "intl/openapi/identity-risk/idvs-h5/ekyc/v1";

/// An ISO 3166-1 alpha-3 country code, the IDV `region` field (e.g. `IDN`). Only the format is
/// checked: which countries a server supports is its own business (`REGION_WRONG`).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CountryCode(String);

impl CountryCode {
    /// Checks the format: exactly three ASCII upper-case letters.
    ///
    /// ```
    /// use sigil_models::idv::CountryCode;
    /// assert!(CountryCode::new("IDN").is_ok());
    /// assert!(CountryCode::new("idn").is_err());
    /// assert!(CountryCode::new("ID").is_err());
    /// ```
    pub fn new(code: &str) -> Result<Self, ModelError> {
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(ModelError::Region(code.to_owned()))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.0)
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The body of `generate-url`. `Debug` redacts the user id.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateUrlRequest {
    /// Where the H5 page sends the user after a successful verification.
    pub return_url: String,
    /// Where the H5 page sends the user when OCR results could not be obtained.
    pub fail_return_url: String,
    /// The country (ISO 3166-1 alpha-3) of the document.
    pub region: String,
    /// Optional id of the user performing the verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

impl fmt::Debug for GenerateUrlRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenerateUrlRequest")
            .field("return_url", &UrlWithoutQuery(&self.return_url))
            .field("fail_return_url", &UrlWithoutQuery(&self.fail_return_url))
            .field("region", &self.region)
            .field("user_id", &self.user_id.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl GenerateUrlRequest {
    /// Builds a request, checking both URLs (absolute http/https) and the region format.
    pub fn new(
        return_url: &str,
        fail_return_url: &str,
        region: &CountryCode,
        user_id: Option<String>,
    ) -> Result<Self, ModelError> {
        http_url("returnUrl", return_url)?;
        http_url("failReturnUrl", fail_return_url)?;
        if let Some(id) = &user_id {
            non_empty("userId", id)?;
        }
        Ok(Self {
            return_url: return_url.to_owned(),
            fail_return_url: fail_return_url.to_owned(),
            region: region.as_str().to_owned(),
            user_id,
        })
    }
}

/// `data` of a successful `generate-url` response. `Debug` leaves out the URL's query (it
/// carries the session token).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateUrlData {
    /// Id to fetch the result with.
    pub signature_id: String,
    /// The H5 page to send the user to (valid for 3600 s). It embeds a session token, so
    /// treat it as confidential.
    pub url: String,
    /// When the URL expires, epoch milliseconds.
    #[serde(default)]
    pub expired_time: Option<TimestampMs>,
}

impl fmt::Debug for GenerateUrlData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenerateUrlData")
            .field("signature_id", &self.signature_id)
            .field("url", &UrlWithoutQuery(&self.url))
            .field("expired_time", &self.expired_time)
            .finish()
    }
}

/// The `generate-url` response.
pub type GenerateUrlResponse = Envelope<GenerateUrlData>;

/// The body of `get-result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetResultRequest {
    /// The `signatureId` from `generate-url`.
    pub signature_id: String,
}

impl GetResultRequest {
    /// Builds a request; the id must not be empty.
    pub fn new(signature_id: impl Into<String>) -> Result<Self, ModelError> {
        let signature_id = signature_id.into();
        non_empty("signatureId", &signature_id)?;
        Ok(Self { signature_id })
    }
}

open_enum! {
    /// How the image was captured.
    pub enum ImageType {
        /// Scanned by the camera flow.
        Scan => "SCAN",
        /// Uploaded manually.
        Manual => "MANUAL",
    }
}

open_enum! {
    /// The document verification outcome (`idvCode`).
    pub enum IdvCode {
        /// Document verification succeeded.
        Success => "SUCCESS",
        /// Image quality too low; see `idvResult.qualityLabels`.
        LowQualityImage => "LOW_QUALITY_IMAGE",
        /// Considered forged; see `idvResult.forgeryLabels`.
        ForgeryDetected => "FORGERY_DETECTED",
        /// No document detected.
        CardNotFound => "CARD_NOT_FOUND",
        /// Several documents detected.
        TooManyCards => "TOO_MANY_CARDS",
        /// Not a supported (KTP) document.
        NoSupportedCard => "NO_SUPPORTED_CARD",
        /// Document not fully in the picture.
        IncompletedCard => "INCOMPLETED_CARD",
        /// Document too small in the picture.
        TooSmallCard => "TOO_SMALL_CARD",
        /// Server error.
        Error => "ERROR",
    }
}

open_enum! {
    /// The OCR outcome (`ocrCode`); set only when `idvCode` is `SUCCESS` or `FORGERY_DETECTED`.
    pub enum OcrCode {
        /// OCR succeeded.
        Success => "SUCCESS",
        /// OCR completed without a result.
        OcrNoResult => "OCR_NO_RESULT",
        /// OCR server error.
        Error => "ERROR",
    }
}

open_enum! {
    /// Why a document is considered forged (`idvResult.forgeryLabels`).
    pub enum ForgeryLabel {
        /// A photo of a screen or print (re-take).
        Retake => "retake",
        /// A colour photocopy.
        ColorPhotocopied => "colorPhotocopied",
        /// A corner cut off.
        CutoffCorner => "cutoffCorner",
        /// A photo pasted over.
        PastedPhoto => "pastedPhoto",
        /// A black-and-white photocopy.
        BwPhotocopied => "b&wPhotocopied",
        /// The NIK (ID number) modified.
        ModifiedNik => "modifiedNIK",
        /// An old-style KTP.
        OldKtp => "oldKTP",
        /// A screenshot (seen in the document's example response).
        Screenshot => "screenshot",
        /// A scan (seen in the document's example response).
        Scan => "scan",
    }
}

open_enum! {
    /// Why an image is considered low quality (`idvResult.qualityLabels`); the document's
    /// example shows `blur` and `dim`.
    pub enum QualityLabel {
        /// Blurred.
        Blur => "blur",
        /// Too dark.
        Dim => "dim",
    }
}

/// `idvResult`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdvResult {
    /// Reasons the document is considered forged; empty if it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forgery_labels: Option<Vec<ForgeryLabel>>,
    /// Whether the image is low quality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_low_quality: Option<bool>,
    /// Why the image is low quality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_labels: Option<Vec<QualityLabel>>,
}

/// `ocrResult`: the 18 fields read from the KTP, each `null` when parsing failed. Personal
/// data: `Debug` shows which fields are present, never their values (read the fields).
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OcrResult {
    /// ID number (NIK).
    #[serde(default)]
    pub id_number: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Blood type.
    #[serde(default)]
    pub blood_type: Option<String>,
    /// Religion.
    #[serde(default)]
    pub religion: Option<String>,
    /// Gender.
    #[serde(default)]
    pub gender: Option<String>,
    /// Place and date of birth, `"Place,, DD-MM-YYYY"`.
    #[serde(default)]
    pub birth_place_birthday: Option<String>,
    /// Province.
    #[serde(default)]
    pub province: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// District.
    #[serde(default)]
    pub district: Option<String>,
    /// Village.
    #[serde(default)]
    pub village: Option<String>,
    /// RT/RW.
    #[serde(default)]
    pub rtrw: Option<String>,
    /// Occupation.
    #[serde(default)]
    pub occupation: Option<String>,
    /// Expiry date of the KTP.
    #[serde(default)]
    pub expiry_date: Option<String>,
    /// Nationality.
    #[serde(default)]
    pub nationality: Option<String>,
    /// Marital status.
    #[serde(default)]
    pub marital_status: Option<String>,
    /// Detailed address.
    #[serde(default)]
    pub address: Option<String>,
    /// Place of birth.
    #[serde(default)]
    pub place_of_birth: Option<String>,
    /// Birthday, `YYYY/MM/DD`.
    #[serde(default)]
    pub birthday: Option<String>,
}

/// `data` of a successful `get-result` response. `Debug` shows the codes and labels, never
/// the image links or the OCR values.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdvResultData {
    /// Link to the full captured image (expires after a day; query again for a new one).
    #[serde(default)]
    pub image: Option<String>,
    /// Link to the image cropped to the document's edges (expires after 24 h).
    #[serde(default)]
    pub cropped_image: Option<String>,
    /// Scanned or uploaded.
    #[serde(default)]
    pub image_type: Option<ImageType>,
    /// The verification outcome.
    #[serde(default)]
    pub idv_code: Option<IdvCode>,
    /// Verification details.
    #[serde(default)]
    pub idv_result: Option<IdvResult>,
    /// The OCR outcome.
    #[serde(default)]
    pub ocr_code: Option<OcrCode>,
    /// The OCR fields.
    #[serde(default)]
    pub ocr_result: Option<OcrResult>,
}

impl fmt::Debug for OcrResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_present_fields(f, "OcrResult", self)
    }
}

impl fmt::Debug for IdvResultData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let link = |l: &Option<String>| l.as_ref().map(|_| "<redacted>");
        f.debug_struct("IdvResultData")
            .field("image", &link(&self.image))
            .field("cropped_image", &link(&self.cropped_image))
            .field("image_type", &self.image_type)
            .field("idv_code", &self.idv_code)
            .field("idv_result", &self.idv_result)
            .field("ocr_code", &self.ocr_code)
            .field("ocr_result", &self.ocr_result)
            .finish()
    }
}

/// The `get-result` response.
pub type GetResultResponse = Envelope<IdvResultData>;
