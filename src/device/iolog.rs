//! `--io-log`: the device's own record of every request it served, one [`IoRecord`]
//! per request, the way blktrace sees a disk (queue → dispatch → complete).
//!
//! The log is off unless [`Device::enable_io_log`](super::Device::enable_io_log) is
//! called; then the device keeps a small side table of the requests in flight (what it
//! does not need for scheduling: when each was issued and started, by which trace
//! event, for which file) and hands a record out when a request completes. The caller
//! drains the finished records after every event ([`IoLog::drain`]), so memory stays
//! bounded by the requests in flight, never by the trace length. With the log off the
//! device pays one `Option` test per submit, start and completion.

use std::collections::VecDeque;

use crate::stats::{Dir, Origin};

/// One device request, as logged at its completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoRecord {
    /// Request id: submission order, from 0.
    pub id: u64,
    /// Arrival at the device queue (ns of simulated time).
    pub issue_ns: u64,
    /// Dispatch: the device started serving it.
    pub start_ns: u64,
    /// Completion.
    pub complete_ns: u64,
    pub dir: Dir,
    /// The submitter waits for it (a read(2) or fault, fsync, a sync write).
    pub sync: bool,
    /// Why it was issued (the request's first bio, for merged requests).
    pub origin: Origin,
    /// The trace's file id the request is for.
    pub file: Option<u32>,
    /// Byte offset in the file of the request's first byte; None for requests not
    /// tied to file data (an inode write).
    pub file_offset: Option<u64>,
    /// Byte address on the device of the request's first byte.
    pub disk_offset: u64,
    /// Bytes moved, merged bios included.
    pub bytes: u64,
    /// Bios in the request: 1, plus one per bio merged into it while it was queued.
    pub bios: u32,
    /// Requests queued or in service just after this one arrived (itself included).
    pub queue_depth: u32,
    /// The trace event (1-based record number) being replayed when it was issued;
    /// None after the last event (the final sync, the end-of-trace drain).
    pub event: Option<u64>,
}

impl IoRecord {
    /// Time spent queued before dispatch.
    pub fn wait_ns(&self) -> u64 {
        self.start_ns - self.issue_ns
    }

    /// Time the device spent serving it.
    pub fn service_ns(&self) -> u64 {
        self.complete_ns - self.start_ns
    }
}

/// What the device does not keep per request but the log needs; indexed by request id.
#[derive(Clone, Copy, Debug)]
struct InFlight {
    issue_ns: u64,
    /// `u64::MAX` until dispatched.
    start_ns: u64,
    sync: bool,
    file: Option<(u32, Option<u64>)>,
    bios: u32,
    queue_depth: u32,
    event: Option<u64>,
    /// Completed and handed out (the slot waits for the ones before it).
    done: bool,
}

/// The log's state inside the device.
#[derive(Clone, Debug, Default)]
pub struct IoLog {
    /// The event being replayed, 0 when none.
    event: u64,
    /// File position of the next submitted or merged bio (see `note_file`).
    next_file: Option<(u32, Option<u64>)>,
    /// Request id of `in_flight[0]`.
    base: u64,
    in_flight: VecDeque<InFlight>,
    /// Finished records not yet drained, completion order.
    done: Vec<IoRecord>,
}

impl IoLog {
    pub(super) fn set_event(&mut self, event: u64) {
        self.event = event;
    }

    pub(super) fn note_file(&mut self, file: u32, offset: Option<u64>) {
        self.next_file = Some((file, offset));
    }

    /// A request was submitted (before it is started or queued).
    pub(super) fn submitted(&mut self, id: u64, issue_ns: u64, sync: bool, queue_depth: usize) {
        if self.in_flight.is_empty() {
            self.base = id;
        }
        debug_assert_eq!(self.base + self.in_flight.len() as u64, id);
        self.in_flight.push_back(InFlight {
            issue_ns,
            start_ns: u64::MAX,
            sync,
            file: self.next_file.take(),
            bios: 1,
            queue_depth: u32::try_from(queue_depth).unwrap_or(u32::MAX),
            event: (self.event > 0).then_some(self.event),
            done: false,
        });
    }

    fn slot(&mut self, id: u64) -> Option<&mut InFlight> {
        let i = usize::try_from(id.checked_sub(self.base)?).ok()?;
        self.in_flight.get_mut(i)
    }

    /// A bio was merged into queued request `id`; `front` when it went in front (the
    /// request now starts at the bio's file position).
    pub(super) fn merged(&mut self, id: u64, front: bool) {
        let note = self.next_file.take();
        if let Some(r) = self.slot(id) {
            r.bios += 1;
            if front && note.is_some() {
                r.file = note;
            }
        }
    }

    pub(super) fn started(&mut self, id: u64, at: u64) {
        if let Some(r) = self.slot(id) {
            r.start_ns = at;
        }
    }

    /// Request `id` completed at `time` with its final shape; record it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finished(
        &mut self,
        id: u64,
        dir: Dir,
        origin: Origin,
        disk_offset: u64,
        bytes: u64,
        time: u64,
    ) {
        let Some(r) = self.slot(id) else {
            return;
        };
        r.done = true;
        let r = *r;
        self.done.push(IoRecord {
            id,
            issue_ns: r.issue_ns,
            start_ns: r.start_ns.min(time),
            complete_ns: time,
            dir,
            sync: r.sync,
            origin,
            file: r.file.map(|f| f.0),
            file_offset: r.file.and_then(|f| f.1),
            disk_offset,
            bytes,
            bios: r.bios,
            queue_depth: r.queue_depth,
            event: r.event,
        });
        while self.in_flight.front().is_some_and(|r| r.done) {
            self.in_flight.pop_front();
            self.base += 1;
        }
    }

    /// Move the finished records to `out`.
    pub fn drain(&mut self, out: &mut Vec<IoRecord>) {
        out.append(&mut self.done);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Device, DeviceSpec};
    use super::*;

    /// Two requests on an ssd, the second queued behind the first and then grown by a
    /// front merge: times, queue depth, file position and bios as worked out by hand.
    #[test]
    fn records_follow_the_queue_and_a_front_merge() {
        let mut d = Device::new(DeviceSpec::ssd(), 16 << 20);
        d.enable_io_log();
        d.note_event(3);
        d.note_file(7, Some(8192));
        d.submit(0, Dir::Read, 1 << 20, 4096, Origin::Demand, true, 0);
        d.note_file(7, Some(16384));
        d.submit(
            0,
            Dir::Read,
            (1 << 20) + 8192,
            4096,
            Origin::Readahead,
            false,
            1,
        );
        d.note_event(4);
        d.note_file(7, Some(12288));
        let merged = d.try_merge(0, Dir::Read, (1 << 20) + 4096, 4096, 1 << 20);
        assert!(merged.is_some());
        let mut done = Vec::new();
        d.advance(u64::MAX, &mut done);
        let mut rows = Vec::new();
        d.drain_io_log(&mut rows);
        // ssd: 80 us + bytes / 500 MiB/s; 4 KiB: 80000 + ⌈7812.5⌉ = 87813;
        // 8 KiB: 80000 + 15625 = 95625, started when the first ends.
        assert_eq!(
            rows,
            vec![
                IoRecord {
                    id: 0,
                    issue_ns: 0,
                    start_ns: 0,
                    complete_ns: 87_813,
                    dir: Dir::Read,
                    sync: true,
                    origin: Origin::Demand,
                    file: Some(7),
                    file_offset: Some(8192),
                    disk_offset: 1 << 20,
                    bytes: 4096,
                    bios: 1,
                    queue_depth: 1,
                    event: Some(3),
                },
                IoRecord {
                    id: 1,
                    issue_ns: 0,
                    start_ns: 87_813,
                    complete_ns: 87_813 + 95_625,
                    dir: Dir::Read,
                    sync: false,
                    origin: Origin::Readahead,
                    file: Some(7),
                    file_offset: Some(12288),
                    disk_offset: (1 << 20) + 4096,
                    bytes: 8192,
                    bios: 2,
                    queue_depth: 2,
                    event: Some(3),
                },
            ]
        );
        assert_eq!((rows[1].wait_ns(), rows[1].service_ns()), (87_813, 95_625));
        // Nothing left in flight: the side table is empty again.
        assert!(d.log.as_ref().is_some_and(|l| l.in_flight.is_empty()));
    }

    #[test]
    fn off_by_default() {
        let mut d = Device::new(DeviceSpec::ssd(), 16 << 20);
        d.note_file(1, Some(0));
        d.submit(0, Dir::Write, 0, 4096, Origin::Fsync, true, 0);
        let mut done = Vec::new();
        d.advance(u64::MAX, &mut done);
        let mut rows = Vec::new();
        d.drain_io_log(&mut rows);
        assert!(rows.is_empty() && !d.logging());
    }
}
