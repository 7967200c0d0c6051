//! Playing decoded audio through the Web Audio API: one `AudioBuffer` made once from the WAV's
//! samples, and a new `AudioBufferSourceNode` for each start (a source plays once), begun at the
//! chosen offset. The position is read from the context's clock.

use wasm_bindgen::JsCast;
use web_sys::{AudioBuffer, AudioBufferOptions, AudioBufferSourceNode, AudioContext};

/// Samples converted per step (keeps the temporary `f32` copy small).
const STEP: usize = 1 << 16;

/// An `AudioBuffer` holding `channels` (16-bit samples) at `rate`.
pub fn buffer(channels: &[Vec<i16>], rate: u32) -> Result<AudioBuffer, String> {
    let length = channels.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let options = AudioBufferOptions::new(length as u32, rate as f32);
    options.set_number_of_channels(channels.len().max(1) as u32);
    let buffer = AudioBuffer::new(&options).map_err(|e| format!("{e:?}"))?;
    let mut scratch = vec![0f32; STEP];
    for (c, samples) in channels.iter().enumerate() {
        for (k, chunk) in samples.chunks(STEP).enumerate() {
            for (out, &s) in scratch.iter_mut().zip(chunk) {
                *out = f32::from(s) / 32768.0;
            }
            buffer
                .copy_to_channel_with_start_in_channel(
                    &scratch[..chunk.len()],
                    c as i32,
                    (k * STEP) as u32,
                )
                .map_err(|e| format!("{e:?}"))?;
        }
    }
    Ok(buffer)
}

/// A player of one buffer.
pub struct Player {
    context: AudioContext,
    buffer: AudioBuffer,
    source: Option<AudioBufferSourceNode>,
    /// Context time at which offset 0 would have played (while playing).
    origin: f64,
    /// Where playing stopped or will start (seconds).
    offset: f64,
}

impl Player {
    /// A player for `buffer` (made on a user gesture: browsers start contexts suspended
    /// otherwise).
    pub fn new(buffer: AudioBuffer) -> Result<Player, String> {
        let context = AudioContext::new().map_err(|e| format!("{e:?}"))?;
        Ok(Player {
            context,
            buffer,
            source: None,
            origin: 0.0,
            offset: 0.0,
        })
    }

    /// The buffer's length (seconds).
    pub fn duration(&self) -> f64 {
        self.buffer.duration()
    }

    /// Whether it is playing.
    pub fn playing(&self) -> bool {
        self.source.is_some() && self.position() < self.duration()
    }

    /// The current position (seconds).
    pub fn position(&self) -> f64 {
        match &self.source {
            Some(_) => (self.context.current_time() - self.origin).min(self.duration()),
            None => self.offset,
        }
    }

    /// Plays from the current position (from the start when at the end).
    pub fn play(&mut self) -> Result<(), String> {
        if self.offset >= self.duration() {
            self.offset = 0.0;
        }
        self.stop_source();
        let _ = self.context.resume();
        let source = self
            .context
            .create_buffer_source()
            .map_err(|e| format!("{e:?}"))?;
        source.set_buffer(Some(&self.buffer));
        source
            .connect_with_audio_node(&self.context.destination())
            .map_err(|e| format!("{e:?}"))?;
        source
            .start_with_when_and_grain_offset(0.0, self.offset)
            .map_err(|e| format!("{e:?}"))?;
        self.origin = self.context.current_time() - self.offset;
        self.source = Some(source);
        Ok(())
    }

    /// Pauses where it is.
    pub fn pause(&mut self) {
        self.offset = self.position();
        self.stop_source();
    }

    /// Moves to `seconds` (playing on if it was playing).
    pub fn seek(&mut self, seconds: f64) -> Result<(), String> {
        let was_playing = self.playing();
        self.stop_source();
        self.offset = seconds.clamp(0.0, self.duration());
        if was_playing {
            self.play()?;
        }
        Ok(())
    }

    /// After the end: stopped, at the end.
    pub fn settle(&mut self) {
        if self.source.is_some() && self.position() >= self.duration() {
            self.offset = self.duration();
            self.stop_source();
        }
    }

    fn stop_source(&mut self) {
        if let Some(s) = self.source.take() {
            let node: &web_sys::AudioScheduledSourceNode = s.unchecked_ref();
            let _ = node.stop();
            let _ = s.disconnect();
        }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.stop_source();
        let _ = self.context.close();
    }
}
