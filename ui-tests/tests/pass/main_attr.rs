//! `#[gocsp::main]` expands to safe code, returns `Result`, and runs main as a goroutine.
#![forbid(unsafe_code)]

use gocsp::prelude::*;

#[gocsp::main(workers = 2)]
fn main() -> Result<(), String> {
    let ch: Chan<i32> = make!(chan i32);
    let tx = ch.sender();
    go!(move || tx.send(gocsp::goroutine_id().map_or(0, |_| 1)));
    if ch.recv() != Some(1) || gocsp::goroutine_id().is_none() {
        return Err("not goroutines".into());
    }
    Ok(())
}
