#[macro_use]
extern crate napi_derive;

#[napi]
pub fn engine_version() -> String {
    "48".to_string()
}
