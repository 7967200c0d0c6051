//! Listening to a call or a stream: the worker reads the capture again and decodes the audio
//! (`callscope_audio`, the CLI's `--wav` code, so the WAV saved here equals the CLI's byte for
//! byte); the page plays it through Web Audio with Play/Pause and a position slider, draws each
//! direction's waveform with its losses, late packets, marker bits and key presses, and puts the
//! call's SIP messages on the same time axis. Nothing is decoded until asked (it costs a second
//! read of the file).
//!
//! For tests, `window.callscopeAudio` describes the decoded buffer and the playback.

mod playback;
mod waveform;

use std::cell::RefCell;
use std::rc::Rc;

use callscope_audio::{Mode, Request, Summary};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::bridge::{finish_job_later, start_job, Job, JobEvent, JobRequest};
use crate::messages::FromWorker;
pub use waveform::Moment;
use waveform::{clock, Lane, Waveform};

/// What the player needs from the report: the request, the call's SIP messages and the key
/// presses per channel.
pub struct Inputs {
    /// What to decode.
    pub request: Rc<Request>,
    /// The call's messages (retransmissions left out).
    pub events: Rc<Vec<Moment>>,
    /// (channel, time, key).
    pub dtmf: Rc<Vec<(usize, f64, String)>>,
}

impl Inputs {
    /// For `request` in `report`, with the messages of `call` (if any).
    pub fn new(
        report: &callscope_analysis::Report,
        request: Request,
        call: Option<&callscope_analysis::sip::report::Call>,
    ) -> Inputs {
        let events = call
            .map(|c| {
                c.messages
                    .iter()
                    .filter(|m| !m.retransmission)
                    .map(|m| Moment {
                        t: m.time,
                        label: m.label.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut dtmf = Vec::new();
        for (c, ch) in request.channels.iter().enumerate() {
            for t in &ch.tracks {
                let stream = callscope_audio::from_report::stream_of(report, t);
                for p in stream.map(|s| s.dtmf.as_slice()).unwrap_or_default() {
                    dtmf.push((c, p.start, p.key.clone()));
                }
            }
        }
        Inputs {
            request: Rc::new(request),
            events: Rc::new(events),
            dtmf: Rc::new(dtmf),
        }
    }
}

/// The interval that moves the playhead while playing: its id and its closure.
type Ticker = Rc<RefCell<Option<(i32, Closure<dyn FnMut()>)>>>;

/// Columns of the waveform outline.
const COLUMNS: usize = 1000;

/// Props of [`AudioPlayer`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// What to decode (a call's two directions, or one stream).
    pub request: Rc<Request>,
    /// The call's SIP messages, seconds since the capture's start.
    pub events: Rc<Vec<Moment>>,
    /// Key presses per channel: (channel, seconds since the capture's start, key).
    pub dtmf: Rc<Vec<(usize, f64, String)>>,
    /// The WAV file's name.
    pub name: AttrValue,
}

/// Decoded audio, ready to play.
struct Decoded {
    summary: Summary,
    /// The WAV file as the worker wrote it.
    wav: js_sys::Uint8Array,
    buffer: web_sys::AudioBuffer,
    lanes: Rc<Vec<Lane>>,
}

enum Phase {
    Idle,
    Decoding { read: f64, total: f64 },
    Ready(Rc<Decoded>),
    Failed(String),
}

/// Publishes `window.callscopeAudio`.
fn publish(d: &Decoded, playing: bool, position: f64) {
    let o = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&o, &k.into(), &v);
    };
    set("sampleRate", d.summary.sample_rate.into());
    set("channels", (d.summary.channels.len() as u32).into());
    set("samples", (d.summary.samples as f64).into());
    set("duration", d.summary.duration.into());
    set("start", d.summary.start.into());
    set("bufferDuration", d.buffer.duration().into());
    set("bufferLength", d.buffer.length().into());
    set("wavBytes", d.wav.length().into());
    set("playing", playing.into());
    set("position", position.into());
    crate::bridge::publish("callscopeAudio", &o);
}

/// Reads the worker's WAV back into lanes and an `AudioBuffer`.
fn ready(
    summary: Summary,
    wav: js_sys::Uint8Array,
    dtmf: &[(usize, f64, String)],
) -> Result<Decoded, String> {
    let (rate, channels) =
        callscope_audio::wav::read(&wav.to_vec()).ok_or("the worker's WAV cannot be read")?;
    let buffer = playback::buffer(&channels, rate)?;
    let sides = ["left", "right"];
    let lanes = summary
        .channels
        .iter()
        .zip(&channels)
        .enumerate()
        .map(|(c, (ch, samples))| Lane {
            label: if summary.channels.len() > 1 {
                format!("{}: {}", sides.get(c).unwrap_or(&""), ch.label)
            } else {
                ch.label.clone()
            },
            peaks: callscope_audio::waveform::peaks(samples, COLUMNS),
            marks: ch.marks.clone(),
            dtmf: dtmf
                .iter()
                .filter(|(k, _, _)| *k == c)
                .map(|(_, t, key)| (t - summary.start, key.clone()))
                .collect(),
        })
        .collect();
    Ok(Decoded {
        summary,
        wav,
        buffer,
        lanes: Rc::new(lanes),
    })
}

/// The Listen card.
#[function_component(AudioPlayer)]
pub fn audio_player(props: &Props) -> Html {
    let page = crate::context::use_page();
    let phase = use_state(|| Phase::Idle);
    let mode = use_state(|| Mode::Buffer);
    let job: Rc<RefCell<Option<Job>>> = use_mut_ref(|| None);
    let player: Rc<RefCell<Option<playback::Player>>> = use_mut_ref(|| None);
    let position = use_state(|| 0.0f64);
    let playing = use_state(|| false);
    let ticker: Ticker = use_mut_ref(|| None);
    let message = use_state(|| None::<String>);

    // Stop everything when the view goes away.
    {
        let (job, player, ticker) = (job.clone(), player.clone(), ticker.clone());
        use_effect_with((), move |()| {
            move || {
                job.borrow_mut().take();
                player.borrow_mut().take();
                stop_ticker(&ticker);
            }
        });
    }

    let Some(file) = page.as_ref().and_then(|p| p.file.clone()) else {
        return html! {
            <section class="card listen" data-testid="audio">
                <h2>{ "Listen" }</h2>
                <p class="muted">{ "Listening needs the capture itself: a shared report carries no packets. Open the file to decode its audio." }</p>
            </section>
        };
    };

    let decode = {
        let (phase, job, player, request, dtmf) = (
            phase.clone(),
            job.clone(),
            player.clone(),
            props.request.clone(),
            props.dtmf.clone(),
        );
        let (position, playing, mode, ticker) = (
            position.clone(),
            playing.clone(),
            mode.clone(),
            ticker.clone(),
        );
        Callback::from(move |chosen: Mode| {
            player.borrow_mut().take();
            stop_ticker(&ticker);
            playing.set(false);
            position.set(0.0);
            mode.set(chosen);
            let mut request = (*request).clone();
            request.mode = chosen;
            let text = serde_json::to_string(&request).unwrap_or_default();
            phase.set(Phase::Decoding {
                read: 0.0,
                total: file.size(),
            });
            let on_event = {
                let (phase, job, dtmf) = (phase.clone(), job.clone(), dtmf.clone());
                move |event: JobEvent| match event {
                    JobEvent::Progress { bytes, total } => {
                        phase.set(Phase::Decoding { read: bytes, total })
                    }
                    JobEvent::Finished(FromWorker::Audio { summary, .. }, data) => {
                        let wav = js_sys::Reflect::get(&data, &"wav".into())
                            .ok()
                            .and_then(|w| w.dyn_into::<js_sys::Uint8Array>().ok());
                        let decoded = match (serde_json::from_str::<Summary>(&summary), wav) {
                            (Ok(s), Some(wav)) => ready(s, wav, &dtmf),
                            _ => Err("the worker's answer cannot be read".into()),
                        };
                        match decoded {
                            Ok(d) => {
                                publish(&d, false, 0.0);
                                phase.set(Phase::Ready(Rc::new(d)));
                            }
                            Err(e) => phase.set(Phase::Failed(e)),
                        }
                        finish_job_later(&job);
                    }
                    JobEvent::Finished(FromWorker::Failed { message }, _) => {
                        phase.set(Phase::Failed(message));
                        finish_job_later(&job);
                    }
                    _ => {}
                }
            };
            match start_job(file.clone(), JobRequest::Audio(text), on_event) {
                Ok(j) => *job.borrow_mut() = Some(j),
                Err(e) => phase.set(Phase::Failed(format!("cannot start the decoder: {e}"))),
            }
        })
    };

    let mode_select = {
        let decode = decode.clone();
        let phase_ready = matches!(*phase, Phase::Ready(_));
        let onchange = Callback::from(move |e: Event| {
            let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else {
                return;
            };
            let m = if select.value() == "captured" {
                Mode::Captured
            } else {
                Mode::Buffer
            };
            if phase_ready {
                decode.emit(m);
            }
        });
        html! {
            <label class="playout">{ "Playout " }
                <select {onchange} data-testid="audio-mode" id="audio-mode">
                    <option value="buffer" selected={*mode == Mode::Buffer}>{ "as heard (60 ms jitter buffer)" }</option>
                    <option value="captured" selected={*mode == Mode::Captured}>{ "as captured (every packet)" }</option>
                </select>
            </label>
        }
    };

    let body = match &*phase {
        Phase::Idle => {
            let decode = decode.clone();
            let mode_now = *mode;
            let onclick = Callback::from(move |_: MouseEvent| {
                let chosen = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("audio-mode"))
                    .and_then(|e| e.dyn_into::<web_sys::HtmlSelectElement>().ok())
                    .map_or(mode_now, |s| {
                        if s.value() == "captured" {
                            Mode::Captured
                        } else {
                            Mode::Buffer
                        }
                    });
                decode.emit(chosen);
            });
            html! {
                <>
                    <p class="muted">{ "Reads the capture again, in this tab, and decodes the RTP as a listener heard it: lost and late packets are silence where they happened. G.711, G.722, G.729 and Opus play; encrypted (SRTP) media cannot." }</p>
                    <div class="player-controls">
                        <button type="button" class="primary" {onclick} data-testid="audio-decode">{ "Decode audio" }</button>
                        { mode_select }
                    </div>
                </>
            }
        }
        Phase::Decoding { read, total } => html! {
            <p data-testid="audio-progress" role="status">{ format!("Decoding… {:.0} of {:.0} MB read", read / 1e6, total / 1e6) }</p>
        },
        Phase::Failed(why) => html! {
            <p class="warning" data-testid="audio-error" role="alert">{ format!("The audio could not be decoded: {why}") }</p>
        },
        Phase::Ready(d) => ready_view(
            d,
            props,
            &player,
            &ticker,
            &position,
            &playing,
            &message,
            mode_select,
        ),
    };
    html! {
        <section class="card listen" data-testid="audio">
            <h2>{ "Listen" }</h2>
            { body }
        </section>
    }
}

fn stop_ticker(ticker: &Ticker) {
    if let Some((id, _)) = ticker.borrow_mut().take() {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(id);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn ready_view(
    d: &Rc<Decoded>,
    props: &Props,
    player: &Rc<RefCell<Option<playback::Player>>>,
    ticker: &Ticker,
    position: &UseStateHandle<f64>,
    playing: &UseStateHandle<bool>,
    message: &UseStateHandle<Option<String>>,
    mode_select: Html,
) -> Html {
    let s = &d.summary;
    // Starts the ticker that moves the playhead while playing.
    let start_ticker = {
        let (player, ticker, position, playing, d) = (
            player.clone(),
            ticker.clone(),
            position.clone(),
            playing.clone(),
            d.clone(),
        );
        move || {
            stop_ticker(&ticker);
            let (player2, ticker2, position, playing, d) = (
                player.clone(),
                ticker.clone(),
                position.clone(),
                playing.clone(),
                d.clone(),
            );
            let tick = Closure::<dyn FnMut()>::new(move || {
                let mut p = player2.borrow_mut();
                let Some(p) = p.as_mut() else { return };
                p.settle();
                let now = p.position();
                position.set(now);
                let on = p.playing();
                publish(&d, on, now);
                if !on {
                    playing.set(false);
                    let ticker = ticker2.clone();
                    wasm_bindgen_futures::spawn_local(async move { stop_ticker(&ticker) });
                }
            });
            if let Some(id) = web_sys::window().and_then(|w| {
                w.set_interval_with_callback_and_timeout_and_arguments_0(
                    tick.as_ref().unchecked_ref(),
                    100,
                )
                .ok()
            }) {
                *ticker.borrow_mut() = Some((id, tick));
            }
        }
    };
    let toggle = {
        let (player, playing, position, message, d, ticker) = (
            player.clone(),
            playing.clone(),
            position.clone(),
            message.clone(),
            d.clone(),
            ticker.clone(),
        );
        let start_ticker = start_ticker.clone();
        Callback::from(move |_: MouseEvent| {
            let mut slot = player.borrow_mut();
            if slot.is_none() {
                match playback::Player::new(d.buffer.clone()) {
                    Ok(mut p) => {
                        let _ = p.seek(*position);
                        *slot = Some(p);
                    }
                    Err(e) => {
                        message.set(Some(format!("This browser cannot play audio: {e}")));
                        return;
                    }
                }
            }
            let Some(p) = slot.as_mut() else { return };
            if p.playing() {
                p.pause();
                playing.set(false);
                stop_ticker(&ticker);
                position.set(p.position());
                publish(&d, false, p.position());
            } else {
                match p.play() {
                    Ok(()) => {
                        playing.set(true);
                        publish(&d, true, p.position());
                        drop(slot);
                        start_ticker();
                    }
                    Err(e) => message.set(Some(format!("Playing failed: {e}"))),
                }
            }
        })
    };
    let seek = {
        let (player, position, d) = (player.clone(), position.clone(), d.clone());
        Callback::from(move |t: f64| {
            let t = t.clamp(0.0, d.summary.duration);
            if let Some(p) = player.borrow_mut().as_mut() {
                let _ = p.seek(t);
                publish(&d, p.playing(), t);
            } else {
                publish(&d, false, t);
            }
            position.set(t);
        })
    };
    let on_slider = {
        let seek = seek.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                seek.emit(input.value_as_number());
            }
        })
    };
    let save = {
        let (d, name, message) = (d.clone(), props.name.to_string(), message.clone());
        Callback::from(move |_: MouseEvent| {
            let parts = js_sys::Array::of1(&d.wav);
            let options = web_sys::BlobPropertyBag::new();
            options.set_type("audio/wav");
            let result = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
                .map_err(|e| format!("{e:?}"))
                .and_then(|b| crate::download::save_blob(&name, &b));
            if let Err(e) = result {
                message.set(Some(format!("{name} could not be saved: {e}")));
            }
        })
    };
    let events: Rc<Vec<Moment>> = Rc::new(
        props
            .events
            .iter()
            .map(|e| Moment {
                t: e.t - s.start,
                label: e.label.clone(),
            })
            .collect(),
    );
    // The axis takes in the call's messages before and after the media.
    let from = events.iter().map(|e| e.t).fold(0.0f64, f64::min);
    let to = events.iter().map(|e| e.t).fold(s.duration, f64::max);
    let pad = (to - from) * 0.01;
    let (from, to) = (
        if from < 0.0 { from - pad } else { 0.0 },
        if to > s.duration {
            to + pad
        } else {
            s.duration
        },
    );
    let tracks = s.channels.iter().enumerate().map(|(c, ch)| {
        let side = match (s.channels.len(), c) {
            (1, _) => "",
            (_, 0) => "Left: ",
            _ => "Right: ",
        };
        html! {
            <li>
                <strong>{ format!("{side}{}", ch.label) }</strong>
                if ch.tracks.is_empty() { { " — no stream (silence)" } }
                <ul>
                    { for ch.tracks.iter().map(|t| html! {
                        <li class="mono small" data-testid="audio-track">
                            { format!("{} {}: {} packets, {} played, {} lost, {} late", t.ssrc, t.codecs.join(", "), t.packets, t.played, t.lost, t.late) }
                            if let Some(why) = &t.not_playable { <span class="warning">{ format!(" — not playable: {why}") }</span> }
                        </li>
                    }) }
                </ul>
            </li>
        }
    });
    let pos = **position;
    html! {
        <>
            <div class="player-controls">
                <button type="button" class="primary" onclick={toggle} data-testid="audio-play" aria-pressed={playing.to_string()}>
                    { if **playing { "❚❚ Pause" } else { "▶ Play" } }
                </button>
                <input type="range" class="position" min="0" max={format!("{:.3}", s.duration)} step="0.01" value={format!("{pos:.3}")}
                    oninput={on_slider} aria-label="Position" data-testid="audio-position" />
                <span class="time mono" data-testid="audio-time">{ format!("{} / {}", clock(pos), clock(s.duration)) }</span>
                { mode_select }
                <button type="button" onclick={save} data-testid="save-wav" title="The audio as a 16-bit PCM WAV file (the same bytes as callscope analyze --wav)">{ "WAV" }</button>
            </div>
            <div class="chart">
                <Waveform lanes={d.lanes.clone()} {events} duration={s.duration} {from} {to} position={pos} on_seek={seek} />
            </div>
            <p class="muted small">
                { format!("{} Hz, {}, {:.1} s from {:.3} s into the capture. ", s.sample_rate, if s.channels.len() > 1 { "stereo (caller left, callee right)" } else { "mono" }, s.duration, s.start) }
                <span class="key k-lost">{ "lost" }</span>{ " " }<span class="key k-late">{ "late" }</span>{ " " }<span class="key k-dtmf">{ "DTMF" }</span>{ " ▾ marker bit. Click the waveform or a SIP message to play from there." }
            </p>
            if let Some(why) = &s.cut_why {
                <p class="warning" data-testid="audio-cut">{ format!("Cut short: {why} (the bound on audio).") }</p>
            }
            if let Some(why) = &s.reading {
                <p class="warning">{ format!("{why}; the audio covers what was read.") }</p>
            }
            if let Some(m) = &**message {
                <p class="warning" role="alert">{ m.clone() }</p>
            }
            <ul class="audio-tracks">{ for tracks }</ul>
        </>
    }
}
