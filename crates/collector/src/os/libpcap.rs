//! libpcap, loaded when a capture starts rather than linked: the `callscope` binary then builds
//! and installs (`cargo install`) on a machine without libpcap's development files, and only
//! `capture` needs the library, saying so when it is missing. The functions are libpcap's stable
//! C API (pcap(3PCAP), since 1.0); the structures are those of `<pcap/pcap.h>` and
//! `<pcap/bpf.h>` on Linux.
//!
//! This is the one place on Linux where the collector calls C: each call is `unsafe` because the
//! compiler cannot check a foreign signature. The signatures below are copied from the man
//! pages; every pointer handed over lives for the call (or, for the handle, until `Drop`).
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_long, c_uint, c_void, CStr, CString};
use std::os::fd::BorrowedFd;

use libloading::{Library, Symbol};

/// Where distributions install the run-time library (Debian/Ubuntu `libpcap0.8`, Fedora/Arch
/// `libpcap`).
const NAMES: [&str; 3] = ["libpcap.so.1", "libpcap.so.0.8", "libpcap.so"];
/// `PCAP_ERRBUF_SIZE`.
const ERRBUF: usize = 256;
/// `PCAP_TSTAMP_PRECISION_NANO`.
const NANO: c_int = 1;

#[repr(C)]
struct PcapT {
    _opaque: [u8; 0],
}

/// `struct timeval` (glibc and musl: two `long`s).
#[repr(C)]
#[derive(Clone, Copy)]
struct TimeVal {
    sec: c_long,
    frac: c_long,
}

/// `struct pcap_pkthdr`.
#[repr(C)]
struct PktHdr {
    ts: TimeVal,
    caplen: u32,
    len: u32,
}

/// `struct bpf_program`.
#[repr(C)]
struct BpfProgram {
    len: c_uint,
    insns: *mut c_void,
}

/// `struct pcap_stat`.
#[repr(C)]
#[derive(Default)]
struct PcapStat {
    recv: c_uint,
    drop: c_uint,
    ifdrop: c_uint,
}

/// One packet as read.
pub struct Packet<'a> {
    /// Capture time, ns since the epoch.
    pub ts_ns: u64,
    /// Length on the wire.
    pub len: u32,
    /// Captured bytes.
    pub data: &'a [u8],
}

/// The library, loaded once per capture.
pub struct Lib(Library);

impl Lib {
    /// Loads libpcap, or says what to install.
    pub fn load() -> Result<Lib, String> {
        let mut last = String::new();
        for name in NAMES {
            // SAFETY: loading libpcap runs its initialisers, which have no preconditions.
            match unsafe { Library::new(name) } {
                Ok(lib) => return Ok(Lib(lib)),
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!(
            "live capture needs libpcap, which is not installed ({last}): install it \
             (Debian/Ubuntu: apt install libpcap0.8; Fedora: dnf install libpcap)"
        ))
    }

    fn sym<T>(&self, name: &[u8]) -> Result<Symbol<'_, T>, String> {
        // SAFETY: every `T` used with this is the function's C signature from pcap(3PCAP).
        unsafe { self.0.get(name) }.map_err(|e| format!("libpcap lacks a function: {e}"))
    }
}

/// An open capture handle.
pub struct Capture<'lib> {
    lib: &'lib Lib,
    handle: *mut PcapT,
}

/// The text of a C string (libpcap's error messages).
fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: libpcap returns NUL-terminated strings that live until the next call on the handle.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

impl<'lib> Capture<'lib> {
    /// `pcap_create` and the settings, then `pcap_activate`.
    pub fn open(
        lib: &'lib Lib,
        device: &str,
        snaplen: i32,
        buffer_bytes: i32,
        timeout_ms: i32,
    ) -> Result<Capture<'lib>, String> {
        let device = CString::new(device).map_err(|_| "an interface name has a NUL".to_owned())?;
        let mut err = [0 as c_char; ERRBUF];
        let create: Symbol<unsafe extern "C" fn(*const c_char, *mut c_char) -> *mut PcapT> =
            lib.sym(b"pcap_create")?;
        // SAFETY: a NUL-terminated name and an error buffer of PCAP_ERRBUF_SIZE.
        let handle = unsafe { create(device.as_ptr(), err.as_mut_ptr()) };
        if handle.is_null() {
            return Err(text(err.as_ptr()));
        }
        let cap = Capture { lib, handle };
        type Set = unsafe extern "C" fn(*mut PcapT, c_int) -> c_int;
        for (name, value) in [
            (&b"pcap_set_snaplen"[..], snaplen),
            (b"pcap_set_promisc", 0),
            (b"pcap_set_timeout", timeout_ms),
            (b"pcap_set_buffer_size", buffer_bytes),
            (b"pcap_set_tstamp_precision", NANO),
        ] {
            let set: Symbol<Set> = lib.sym(name)?;
            // SAFETY: a handle from pcap_create, not yet activated.
            unsafe { set(cap.handle, value) };
        }
        let activate: Symbol<unsafe extern "C" fn(*mut PcapT) -> c_int> =
            lib.sym(b"pcap_activate")?;
        // SAFETY: the handle from pcap_create.
        let status = unsafe { activate(cap.handle) };
        if status < 0 {
            let statustostr: Symbol<unsafe extern "C" fn(c_int) -> *const c_char> =
                lib.sym(b"pcap_statustostr")?;
            // SAFETY: any status value; the string is static.
            let what = text(unsafe { statustostr(status) });
            let detail = cap.error();
            return Err(if detail.is_empty() {
                what
            } else {
                format!("{what} ({detail})")
            });
        }
        Ok(cap)
    }

    /// `pcap_geterr`.
    fn error(&self) -> String {
        let Ok(geterr) = self
            .lib
            .sym::<unsafe extern "C" fn(*mut PcapT) -> *const c_char>(b"pcap_geterr")
        else {
            return String::new();
        };
        // SAFETY: the open handle.
        text(unsafe { geterr(self.handle) })
    }

    /// `pcap_datalink`: the link type of the packets.
    pub fn datalink(&self) -> Result<i32, String> {
        let f: Symbol<unsafe extern "C" fn(*mut PcapT) -> c_int> =
            self.lib.sym(b"pcap_datalink")?;
        // SAFETY: the open handle.
        Ok(unsafe { f(self.handle) })
    }

    /// `pcap_compile` and `pcap_setfilter`: keeps only what `expression` (pcap-filter(7))
    /// accepts.
    pub fn filter(&self, expression: &str) -> Result<(), String> {
        let expr = CString::new(expression).map_err(|_| "the filter has a NUL".to_owned())?;
        let compile: Symbol<
            unsafe extern "C" fn(*mut PcapT, *mut BpfProgram, *const c_char, c_int, u32) -> c_int,
        > = self.lib.sym(b"pcap_compile")?;
        let setfilter: Symbol<unsafe extern "C" fn(*mut PcapT, *mut BpfProgram) -> c_int> =
            self.lib.sym(b"pcap_setfilter")?;
        let freecode: Symbol<unsafe extern "C" fn(*mut BpfProgram)> =
            self.lib.sym(b"pcap_freecode")?;
        let mut program = BpfProgram {
            len: 0,
            insns: std::ptr::null_mut(),
        };
        // SAFETY: the open handle, a program for libpcap to fill, a NUL-terminated expression;
        // PCAP_NETMASK_UNKNOWN (0xffffffff) as the netmask.
        if unsafe { compile(self.handle, &mut program, expr.as_ptr(), 1, u32::MAX) } != 0 {
            return Err(self.error());
        }
        // SAFETY: the program pcap_compile filled, freed once after use.
        let set = unsafe { setfilter(self.handle, &mut program) };
        unsafe { freecode(&mut program) };
        if set != 0 {
            return Err(self.error());
        }
        Ok(())
    }

    /// `pcap_setnonblock(…, 1)`.
    pub fn set_nonblocking(&self) -> Result<(), String> {
        let f: Symbol<unsafe extern "C" fn(*mut PcapT, c_int, *mut c_char) -> c_int> =
            self.lib.sym(b"pcap_setnonblock")?;
        let mut err = [0 as c_char; ERRBUF];
        // SAFETY: the open handle and an error buffer of PCAP_ERRBUF_SIZE.
        if unsafe { f(self.handle, 1, err.as_mut_ptr()) } != 0 {
            return Err(text(err.as_ptr()));
        }
        Ok(())
    }

    /// The descriptor to poll(2) for packets (`pcap_get_selectable_fd`), borrowed for as long as
    /// the handle is open.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        let f: Symbol<unsafe extern "C" fn(*mut PcapT) -> c_int> =
            self.lib.sym(b"pcap_get_selectable_fd").ok()?;
        // SAFETY: the open handle.
        let fd = unsafe { f(self.handle) };
        // SAFETY: the descriptor belongs to the handle, which outlives the borrow (`&self`).
        (fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(fd) })
    }

    /// `pcap_next_ex`: the next packet, `Ok(None)` when none is waiting (non-blocking) or the
    /// timeout passed.
    pub fn next(&mut self) -> Result<Option<Packet<'_>>, String> {
        let f: Symbol<unsafe extern "C" fn(*mut PcapT, *mut *mut PktHdr, *mut *const u8) -> c_int> =
            self.lib.sym(b"pcap_next_ex")?;
        let mut header: *mut PktHdr = std::ptr::null_mut();
        let mut data: *const u8 = std::ptr::null();
        // SAFETY: the open handle and two out-pointers libpcap fills on success.
        let status = unsafe { f(self.handle, &mut header, &mut data) };
        match status {
            1 if !header.is_null() && !data.is_null() => {
                // SAFETY: on success both point into libpcap's buffer, valid until the next call
                // on this handle, which `&mut self` keeps from happening while they are borrowed.
                let h = unsafe { &*header };
                let data = unsafe { std::slice::from_raw_parts(data, h.caplen as usize) };
                let ts_ns = u64::try_from(h.ts.sec)
                    .unwrap_or(0)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(u64::try_from(h.ts.frac).unwrap_or(0));
                Ok(Some(Packet {
                    ts_ns,
                    len: h.len,
                    data,
                }))
            }
            0 | 1 => Ok(None),
            _ => Err(self.error()),
        }
    }

    /// `pcap_stats`: packets the kernel dropped.
    pub fn dropped(&self) -> u64 {
        let Ok(f) = self
            .lib
            .sym::<unsafe extern "C" fn(*mut PcapT, *mut PcapStat) -> c_int>(b"pcap_stats")
        else {
            return 0;
        };
        let mut stats = PcapStat::default();
        // SAFETY: the open handle and a struct for libpcap to fill.
        if unsafe { f(self.handle, &mut stats) } != 0 {
            return 0;
        }
        u64::from(stats.drop)
    }
}

impl Drop for Capture<'_> {
    fn drop(&mut self) {
        if let Ok(close) = self
            .lib
            .sym::<unsafe extern "C" fn(*mut PcapT)>(b"pcap_close")
        {
            // SAFETY: the handle from pcap_create, closed once.
            unsafe { close(self.handle) };
        }
    }
}

// SAFETY: a pcap handle may be used from another thread as long as one thread uses it at a
// time (pcap(3PCAP)); each capture thread owns its handle.
unsafe impl Send for Capture<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library loads where the tests run (Debian's libpcap0.8 comes with tshark), and a
    /// missing interface is an error in libpcap's words, not a crash.
    #[test]
    fn loads_and_refuses_a_missing_interface() {
        let lib = match Lib::load() {
            Ok(lib) => lib,
            Err(why) => {
                assert!(why.contains("apt install libpcap0.8"), "{why}");
                return;
            }
        };
        let err = Capture::open(&lib, "no-such-if0", 65535, 1 << 20, 100).err();
        assert!(err.is_some());
    }
}
