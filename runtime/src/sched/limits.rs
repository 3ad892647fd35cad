//! How many goroutines may be alive at once, and the error that says which limit a spawn hit.
//!
//! The process-wide limit depends on where stacks come from (`slab.rs`): memory and address
//! space on the slab path, `vm.max_map_count` on the fallback path. A runtime may have its own
//! (`Builder::max_goroutines`). `stack.rs` checks spawns against them.

use std::fmt;
use std::io;
use std::sync::OnceLock;

use super::slab;
use super::stack::{POOL_PER_WORKER, live};

/// Mappings left for everything else in the process (heap arenas, thread stacks, libraries).
const OTHER_MAPPINGS: usize = 1024;

/// The least memory a blocked goroutine holds besides its stack page: its control block, its
/// closure, its registry entry, page-table share.
const CONTROL_BYTES: usize = 512;

/// The most goroutines that may be alive at once in this process.
pub(crate) fn limit() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        if slab::guards() {
            memory_limit()
        } else {
            map_count_limit()
        }
    })
}

pub(crate) fn process_limit_kind() -> SpawnLimit {
    if slab::guards() {
        SpawnLimit::Memory
    } else {
        SpawnLimit::MapCount
    }
}

/// Slab path: what memory and address space allow, at one stack page and a control block per
/// goroutine (the least a blocked goroutine holds) and a default-sized stack's address range.
fn memory_limit() -> usize {
    let page = slab::page_size();
    let memory = [mem_total(), cgroup_memory_max()]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(usize::MAX);
    // SAFETY: `getrlimit` writes the limit into the struct it is given.
    let rlimit_as = unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_AS, &mut r) == 0 && r.rlim_cur != libc::RLIM_INFINITY {
            r.rlim_cur as usize
        } else {
            usize::MAX
        }
    };
    // Half of a 47-bit user address space.
    let address_space = rlimit_as.min(1 << 46);
    let per_stack = super::runtime::DEFAULT_STACK_SIZE + page;
    (memory / (page + CONTROL_BYTES))
        .min(address_space / per_stack)
        .max(1)
}

fn mem_total() -> Option<usize> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn cgroup_memory_max() -> Option<usize> {
    std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Fallback path: two mappings per stack, after what the process maps already, a reserve for
/// everything else, and every worker's cache.
fn map_count_limit() -> usize {
    let Some(max) = max_map_count() else {
        return usize::MAX;
    };
    let used = current_mappings().unwrap_or(0);
    let pools = POOL_PER_WORKER * super::runtime::default_workers().max(2);
    (max.saturating_sub(used + OTHER_MAPPINGS) / 2)
        .saturating_sub(pools)
        .max(1)
}

/// The kernel's `vm.max_map_count`, where there is one.
pub(crate) fn max_map_count() -> Option<usize> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn current_mappings() -> Option<usize> {
    Some(
        std::fs::read_to_string("/proc/self/maps")
            .ok()?
            .lines()
            .count(),
    )
}

/// Which limit stopped a spawn; see [`SpawnError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpawnLimit {
    /// The runtime's own limit, set with
    /// [`Builder::max_goroutines`](crate::Builder::max_goroutines).
    Runtime,
    /// The process-wide limit ([`max_goroutines`](crate::max_goroutines)) where stacks come
    /// from slabs: memory, at one stack page and a control block per goroutine.
    Memory,
    /// The kernel refused address space for more stacks (`mmap` failed: the address space
    /// limit, or strict overcommit).
    AddressSpace,
    /// Where each stack is a mapping of its own (kernels before 6.13, or
    /// `GOCSP_STACK_SLABS=0`): the kernel's `vm.max_map_count`, two mappings per stack.
    MapCount,
}

/// Returned by [`try_spawn`](crate::try_spawn) when no more goroutines can be started; names
/// the limit that was hit ([`kind`](SpawnError::kind)).
///
/// Every goroutine needs a stack with a guard page. A spawn reserves that stack, so a
/// goroutine that was spawned always gets it: the process never dies of a failed stack
/// allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpawnError {
    pub(crate) live: usize,
    pub(crate) limit: usize,
    pub(crate) kind: SpawnLimit,
    pub(crate) errno: Option<i32>,
}

impl SpawnError {
    /// The kernel refused to map a stack.
    pub(crate) fn kernel(e: io::Error) -> SpawnError {
        let live = live().saturating_sub(1);
        // `mmap` says ENOMEM for both; only near `vm.max_map_count` is the map count to blame.
        let near_map_count = match (max_map_count(), current_mappings()) {
            (Some(max), Some(used)) => used + OTHER_MAPPINGS / 4 >= max,
            _ => true,
        };
        SpawnError {
            live,
            limit: live,
            kind: if slab::guards() || !near_map_count {
                SpawnLimit::AddressSpace
            } else {
                SpawnLimit::MapCount
            },
            errno: e.raw_os_error(),
        }
    }

    /// Goroutines alive when the spawn was refused (in the runtime, for
    /// [`SpawnLimit::Runtime`]; in the process otherwise).
    pub fn live(&self) -> usize {
        self.live
    }

    /// The limit that was hit: a goroutine count (when the kernel refused a stack, the count
    /// reached then).
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Which limit was hit.
    pub fn kind(&self) -> SpawnLimit {
        self.kind
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (live, limit) = (self.live, self.limit);
        match (self.kind, self.errno) {
            (SpawnLimit::Runtime, _) => write!(
                f,
                "cannot start another goroutine: {live} are alive on this runtime, the limit \
                 set with Builder::max_goroutines is {limit}"
            ),
            (SpawnLimit::Memory, _) => write!(
                f,
                "cannot start another goroutine: {live} are alive, the limit is {limit} (memory: \
                 each goroutine holds at least one stack page and its control block)"
            ),
            (SpawnLimit::AddressSpace, errno) => write!(
                f,
                "cannot start another goroutine: {live} are alive and the kernel refused address \
                 space for more goroutine stacks ({})",
                io::Error::from_raw_os_error(errno.unwrap_or(libc::ENOMEM))
            ),
            (SpawnLimit::MapCount, errno) => {
                match errno {
                    None => write!(
                        f,
                        "cannot start another goroutine: {live} are alive, the limit is {limit}"
                    )?,
                    Some(e) => write!(
                        f,
                        "cannot start another goroutine: {live} are alive and the kernel refused \
                         another stack mapping ({})",
                        io::Error::from_raw_os_error(e)
                    )?,
                }
                if let Some(m) = max_map_count() {
                    write!(
                        f,
                        " (each goroutine stack takes two memory mappings and vm.max_map_count \
                         is {m}; raise it with `sysctl -w vm.max_map_count=1048576`, or run on \
                         Linux 6.13 or later, where stacks share mappings)"
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SpawnError {}
