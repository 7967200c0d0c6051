//! Seconds since it appeared, counting up ten times a second: the page's own proof of life
//! while the worker sends nothing (waiting for the file's slices, building the report).

use wasm_bindgen::prelude::*;
use yew::prelude::*;

use crate::bridge::now_ms;

/// How often the count changes.
const TICK_MS: i32 = 100;

/// `1.2 s`, from when this was first drawn.
#[function_component(Elapsed)]
pub fn elapsed() -> Html {
    let since = use_state(now_ms);
    let now = use_state(now_ms);
    {
        let now = now.clone();
        use_effect_with((), move |()| {
            let tick = Closure::<dyn FnMut()>::new(move || now.set(now_ms()));
            let window = web_sys::window();
            let id = window.as_ref().and_then(|w| {
                w.set_interval_with_callback_and_timeout_and_arguments_0(
                    tick.as_ref().unchecked_ref(),
                    TICK_MS,
                )
                .ok()
            });
            move || {
                if let (Some(w), Some(id)) = (window, id) {
                    w.clear_interval_with_handle(id);
                }
                drop(tick);
            }
        });
    }
    html! { <span data-testid="elapsed">{ format!("{:.1} s", ((*now - *since) / 1e3).max(0.0)) }</span> }
}
