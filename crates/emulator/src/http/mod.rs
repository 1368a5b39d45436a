//! The HTTP machinery every vendor's routes run in: the server loop and its connection cap,
//! the guard every request passes (body limits and deadline, faults, vendor-shaped errors),
//! injected faults, the bounded map stored state lives in, and a request taken apart for a
//! handler.

pub(crate) mod bounded;
pub(crate) mod deadline_body;
pub(crate) mod faults;
pub(crate) mod guard;
pub(crate) mod received;
pub(crate) mod server;
