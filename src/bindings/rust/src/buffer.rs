//! [`Buffer`]: a Python buffer seen in place.
use std::ffi::CStr;
use std::marker::PhantomData;

use crate::error::{Error, Result};
use crate::runtime::Runtime;
use crate::sys;

mod private {
    pub trait Sealed {}
}

/// Element types of buffer views: plain numbers, for which every bit
/// pattern is a valid value.
///
/// # Safety
/// Implemented only for types with no invalid bit patterns (sealed).
pub unsafe trait Element: Copy + 'static + private::Sealed {}

macro_rules! element {
    ($($t:ty),*) => {$(
        impl private::Sealed for $t {}
        unsafe impl Element for $t {}
    )*};
}
element!(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64);

/// A Python buffer (`pybuffer_t`) seen in place: its memory is the
/// interpreter's, so writes through [`as_mut_slice`](Self::as_mut_slice) or
/// [`set`](Self::set) are visible to Python and Python's writes to Rust.
/// Dropping it ends the export (`pybuffer_release`).
///
/// The lifetime ties it to its [`Runtime`]: the memory is unmapped when the
/// runtime is destroyed, so a buffer cannot outlive it.
///
/// The element memory is shared with Python: Python code that runs while a
/// slice from [`as_slice`](Self::as_slice) is alive (a call on this runtime,
/// from this thread or another) may change its elements behind Rust's back.
/// Don't keep a slice across calls that run Python code writing to the same
/// buffer; take a fresh one afterwards. The memory itself stays valid
/// until the buffer is dropped, even when Python grows its heap.
pub struct Buffer<'rt> {
    raw: sys::pybuffer_t,
    _rt: PhantomData<&'rt Runtime>,
}

fn size_name<T>() -> String {
    format!("{} ({} bytes)", std::any::type_name::<T>(), std::mem::size_of::<T>())
}

impl<'rt> Buffer<'rt> {
    /// Takes ownership of a filled `pybuffer_t` of `rt`.
    ///
    /// # Safety
    /// `raw` was filled by `pyproxy_get_buffer` on a proxy of `rt` and is
    /// released only by this Buffer's Drop.
    pub unsafe fn from_raw(_rt: &'rt Runtime, raw: sys::pybuffer_t) -> Buffer<'rt> {
        Buffer { raw, _rt: PhantomData }
    }

    /// The raw struct (still owned by this `Buffer`).
    pub fn raw(&self) -> &sys::pybuffer_t {
        &self.raw
    }

    /// The number of dimensions (0 for a scalar view).
    pub fn ndim(&self) -> usize {
        self.raw.ndim
    }

    fn dims(&self, p: *const isize) -> &[isize] {
        if self.raw.ndim == 0 || p.is_null() {
            &[]
        } else {
            // SAFETY: the library gives ndim entries, valid until release.
            unsafe { std::slice::from_raw_parts(p, self.raw.ndim) }
        }
    }

    /// The size of each dimension.
    pub fn shape(&self) -> &[isize] {
        self.dims(self.raw.shape)
    }

    /// The strides in elements (as Pyodide's PyBuffer); may be negative.
    pub fn strides(&self) -> &[isize] {
        self.dims(self.raw.strides)
    }

    /// The strides in bytes (as Python's Py_buffer); may be negative.
    pub fn byte_strides(&self) -> &[isize] {
        self.dims(self.raw.byte_strides)
    }

    /// The struct-module format: "B", "d", "<i", ...
    pub fn format(&self) -> &str {
        if self.raw.format.is_null() {
            return "";
        }
        // SAFETY: NUL-terminated, valid until release.
        unsafe { CStr::from_ptr(self.raw.format) }.to_str().unwrap_or("")
    }

    /// Bytes per element.
    pub fn itemsize(&self) -> usize {
        self.raw.itemsize
    }

    /// Bytes of the segment the elements span.
    pub fn nbytes(&self) -> usize {
        self.raw.nbytes
    }

    /// The number of elements (the product of the shape).
    pub fn len(&self) -> usize {
        self.shape().iter().map(|&d| d.max(0) as usize).product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn readonly(&self) -> bool {
        self.raw.readonly
    }

    pub fn is_c_contiguous(&self) -> bool {
        self.raw.c_contiguous
    }

    pub fn is_f_contiguous(&self) -> bool {
        self.raw.f_contiguous
    }

    /// The address of element [0, ..., 0].
    pub fn as_ptr(&self) -> *const u8 {
        self.raw.first as *const u8
    }

    fn check_slice<T>(&self) -> Result<usize> {
        if !self.raw.c_contiguous {
            return Err(Error::usage("the buffer is not C-contiguous: use get/set with an index"));
        }
        if self.raw.itemsize != std::mem::size_of::<T>() {
            return Err(Error::usage(format!(
                "the buffer's items are {} bytes (format \"{}\"), not {}",
                self.raw.itemsize,
                self.format(),
                size_name::<T>()
            )));
        }
        if self.raw.nbytes == 0 {
            return Ok(0);
        }
        if (self.raw.first as usize) % std::mem::align_of::<T>() != 0 {
            return Err(Error::usage(format!("the buffer's memory is not aligned for {}", size_name::<T>())));
        }
        Ok(self.raw.nbytes / self.raw.itemsize)
    }

    /// The elements of a C-contiguous buffer whose item size is `T`'s, in
    /// place. Otherwise a Usage error.
    pub fn as_slice<T: Element>(&self) -> Result<&[T]> {
        let n = self.check_slice::<T>()?;
        if n == 0 {
            return Ok(&[]);
        }
        // SAFETY: n elements of T, contiguous and aligned, valid while the
        // buffer is held (see the type's note on Python's writes).
        Ok(unsafe { std::slice::from_raw_parts(self.raw.first as *const T, n) })
    }

    /// [`as_slice`](Self::as_slice), writable: Python sees the writes. A
    /// read-only buffer (bytes) is a Usage error.
    pub fn as_mut_slice<T: Element>(&mut self) -> Result<&mut [T]> {
        if self.raw.readonly {
            return Err(Error::usage("the buffer is read-only"));
        }
        let n = self.check_slice::<T>()?;
        if n == 0 {
            return Ok(&mut []);
        }
        // SAFETY: as in as_slice; `&mut self` makes the slice unique on our side.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.raw.first as *mut T, n) })
    }

    /// The raw bytes of a C-contiguous buffer, whatever its item type.
    pub fn as_bytes(&self) -> Result<&[u8]> {
        if !self.raw.c_contiguous {
            return Err(Error::usage("the buffer is not C-contiguous"));
        }
        if self.raw.nbytes == 0 {
            return Ok(&[]);
        }
        // SAFETY: nbytes bytes from first, valid while held.
        Ok(unsafe { std::slice::from_raw_parts(self.raw.first as *const u8, self.raw.nbytes) })
    }

    fn element_ptr<T>(&self, index: &[isize]) -> Result<*mut T> {
        if self.raw.itemsize != std::mem::size_of::<T>() {
            return Err(Error::usage(format!(
                "the buffer's items are {} bytes (format \"{}\"), not {}",
                self.raw.itemsize,
                self.format(),
                size_name::<T>()
            )));
        }
        let shape = self.shape();
        if index.len() != shape.len() {
            return Err(Error::usage(format!("the buffer has {} dimensions, the index {}", shape.len(), index.len())));
        }
        let mut offset = 0isize;
        for (d, ((&i, &n), &stride)) in index.iter().zip(shape).zip(self.byte_strides()).enumerate() {
            if i < 0 || i >= n {
                return Err(Error::usage(format!("index {i} is out of range for dimension {d} of size {n}")));
            }
            offset += i * stride;
        }
        // SAFETY: in range by the checks above: the element lies inside the
        // exported segment.
        Ok(unsafe { (self.raw.first as *mut u8).offset(offset) } as *mut T)
    }

    /// Element `[i0, i1, ...]` (any layout, strides may be negative).
    pub fn get<T: Element>(&self, index: &[isize]) -> Result<T> {
        let p = self.element_ptr::<T>(index)?;
        // SAFETY: a valid element address; unaligned reads are fine.
        Ok(unsafe { p.read_unaligned() })
    }

    /// Writes element `[i0, i1, ...]`; Python sees it.
    pub fn set<T: Element>(&mut self, index: &[isize], value: T) -> Result<()> {
        if self.raw.readonly {
            return Err(Error::usage("the buffer is read-only"));
        }
        let p = self.element_ptr::<T>(index)?;
        // SAFETY: a valid, writable element address.
        unsafe { p.write_unaligned(value) };
        Ok(())
    }
}

impl Drop for Buffer<'_> {
    fn drop(&mut self) {
        // SAFETY: ours; releasing twice would be ignored anyway.
        unsafe { sys::pybuffer_release(&mut self.raw) }
    }
}

impl std::fmt::Debug for Buffer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buffer")
            .field("format", &self.format())
            .field("itemsize", &self.itemsize())
            .field("shape", &self.shape())
            .field("strides", &self.strides())
            .field("readonly", &self.readonly())
            .field("c_contiguous", &self.is_c_contiguous())
            .finish()
    }
}
