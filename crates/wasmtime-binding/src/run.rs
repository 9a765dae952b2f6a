//! Running `_start` on the async store, racing it against kill and the wall-clock limit.
//!
//! Dropping the call's future cancels the module wherever it is: inside wasm (fuel makes it yield
//! every [`YIELD_INTERVAL`] units, so the race is observed while it computes) or inside a host call
//! (`poll_oneoff` sleeping, a stdin read, an `fd_write` waiting for room in a full pipe). A module
//! looping over host calls that never wait (but cost little fuel) is ended by the store's call hook
//! at its next host call boundary instead (`interrupt.rs`).

use crate::container::{Container, Prepared};
use crate::exit::{classify, BindingExitStatus, CODE_TIMEOUT};
use crate::interrupt::Interrupted;
use wasmtime_wasi::WasiView;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Fuel consumed between two yields to the Tokio scheduler.
pub const YIELD_INTERVAL: u64 = 100_000;

pub async fn run(container: Arc<Container>, prepared: Prepared) {
    let Prepared { mut store, flag: _, pre, fuel_limit, wall_clock } = prepared;
    let open_files = WasiView::ctx(&mut store.data_mut().wasi).table.max_capacity();
    store.data_mut().interrupt.deadline = wall_clock.map(|d| Instant::now() + d);
    let mut term_rx = container.term_tx.subscribe();
    let outcome: Result<wasmtime::Result<()>, BindingExitStatus> = {
        let call = async {
            let instance = pre.instantiate_async(&mut store).await?;
            let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
            start.call_async(&mut store, ()).await
        };
        let killed = async {
            match term_rx.wait_for(|t| t.is_some()).await {
                Ok(t) => t.clone().expect("checked by wait_for"),
                Err(_) => BindingExitStatus { reason: "killed".into(), code: 137, signal: Some("SIGKILL".into()), message: None },
            }
        };
        let deadline = async {
            match wall_clock {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            biased;
            t = killed => Err(t),
            _ = deadline => Err(timed_out(wall_clock)),
            r = call => Ok(r),
        }
    };
    let status = match outcome {
        // The call hook trapped: report the kill that raised the flag, else the deadline.
        Ok(Err(e)) if e.downcast_ref::<Interrupted>().is_some() => match term_rx.borrow().clone() {
            Some(t) => t,
            None => timed_out(wall_clock),
        },
        Ok(result) => classify(result, &store.data().limiter, fuel_limit, Some(open_files)),
        Err(status) => status,
    };
    // Free the instance, its memory and the module's ends of the pipes (readers then see EOF)
    // before the exit becomes visible.
    drop(store);
    drop(pre);
    container.finish(status);
}

fn timed_out(wall_clock: Option<Duration>) -> BindingExitStatus {
    BindingExitStatus::new(
        "timed-out",
        CODE_TIMEOUT,
        Some(format!("the wall-clock limit of {} ms was reached", wall_clock.map_or(0, |d| d.as_millis()))),
    )
}
