//! Just enough of the ONNX protobuf format to read a model's float
//! initializers (its weights) by name: `ModelProto.graph` (field 7) →
//! `GraphProto.initializer` (field 5) → `TensorProto` with `dims` (1),
//! `data_type` (2), `float_data` (4), `name` (8) and `raw_data` (9).
//! Everything else is skipped. Every length and offset is checked: a
//! damaged or hostile file gives an error, never a panic or an allocation
//! larger than the file.

use std::collections::HashMap;

/// A float tensor from the file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tensor {
    pub dims: Vec<usize>,
    pub data: Vec<f32>,
}

/// Why a file could not be read.
pub(crate) type ReadError = &'static str;

const FLOAT: u64 = 1;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> Result<u64, ReadError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or("truncated varint")?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint longer than 10 bytes")
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ReadError> {
        let end = self.pos.checked_add(n).ok_or("length overflows")?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or("field runs past the end")?;
        self.pos = end;
        Ok(s)
    }

    /// The next field: its number and value.
    fn field(&mut self) -> Result<(u64, Value<'a>), ReadError> {
        let key = self.varint()?;
        let (number, wire) = (key >> 3, key & 7);
        let value = match wire {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed
            }
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
                Value::Bytes(self.take(n)?)
            }
            5 => {
                self.take(4)?;
                Value::Fixed
            }
            _ => return Err("unsupported protobuf wire type"),
        };
        Ok((number, value))
    }
}

/// The float initializers of the ONNX model in `bytes`, by name.
pub(crate) fn float_initializers(bytes: &[u8]) -> Result<HashMap<String, Tensor>, ReadError> {
    let mut model = Reader::new(bytes);
    let mut out = HashMap::new();
    while !model.done() {
        if let (7, Value::Bytes(graph)) = model.field()? {
            let mut g = Reader::new(graph);
            while !g.done() {
                if let (5, Value::Bytes(t)) = g.field()?
                    && let Some((name, tensor)) = tensor(t)?
                {
                    out.insert(name, tensor);
                }
            }
        }
    }
    Ok(out)
}

/// A float tensor, or `None` for other types.
fn tensor(bytes: &[u8]) -> Result<Option<(String, Tensor)>, ReadError> {
    let mut r = Reader::new(bytes);
    let (mut dims, mut data_type, mut name) = (Vec::new(), 0, String::new());
    let (mut raw, mut floats): (Option<&[u8]>, Vec<f32>) = (None, Vec::new());
    while !r.done() {
        match r.field()? {
            (1, Value::Varint(d)) => dims.push(d),
            (1, Value::Bytes(packed)) => {
                let mut p = Reader::new(packed);
                while !p.done() {
                    dims.push(p.varint()?);
                }
            }
            (2, Value::Varint(t)) => data_type = t,
            (4, Value::Bytes(packed)) => floats.extend(le_floats(packed)?),
            (8, Value::Bytes(n)) => {
                name = std::str::from_utf8(n)
                    .map_err(|_| "tensor name is not UTF-8")?
                    .to_owned();
            }
            (9, Value::Bytes(b)) => raw = Some(b),
            _ => {}
        }
    }
    if data_type != FLOAT {
        return Ok(None);
    }
    let dims: Vec<usize> = dims
        .into_iter()
        .map(|d| usize::try_from(d).map_err(|_| "dimension too large"))
        .collect::<Result<_, _>>()?;
    let count = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or("tensor size overflows")?;
    let data = match raw {
        Some(b) => le_floats(b)?,
        None => floats,
    };
    if data.len() != count {
        return Err("tensor data does not match its dimensions");
    }
    Ok(Some((name, Tensor { dims, data })))
}

fn le_floats(b: &[u8]) -> Result<Vec<f32>, ReadError> {
    if !b.len().is_multiple_of(4) {
        return Err("float data is not a multiple of 4 bytes");
    }
    Ok(b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_files_are_errors_not_panics() {
        let model = super::super::SILERO_V6_ONNX;
        // Every truncation of the header region and a few inside the weights.
        for cut in (0..2048).chain((2048..model.len()).step_by(9973)) {
            let _ = float_initializers(&model[..cut]);
        }
        for bad in [
            &[0xffu8; 12][..],
            &[0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f],
            &[0x0f],
        ] {
            assert!(float_initializers(bad).is_err());
        }
        assert!(float_initializers(&[]).is_ok_and(|m| m.is_empty()));
    }
}
