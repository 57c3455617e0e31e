using System.Text;

namespace TextGen.Persistence;

/// <summary>One float32 tensor of a state dict: its shape and its values, row-major.</summary>
public sealed record FloatTensor(long[] Shape, float[] Values);

/// <summary>
/// Reads the weights section of a <c>.tgm</c> file without libtorch. The section is TorchSharp's state-dict format
/// (<c>Module.save</c>), all little-endian:
/// <code>
/// entries        LEB128 unsigned
/// per entry:     name           .NET BinaryWriter string (7-bit length prefix, UTF-8)
///                dtype          LEB128 (TorchSharp ScalarType; 6 = float32, the only one models hold)
///                rank           LEB128
///                dims           rank x LEB128
///                values         product(dims) x 4 bytes
/// </code>
/// Every count and dimension is checked against the bytes that remain before anything is allocated, so a crafted
/// section cannot size an allocation; the result is the same for any reader, with or without libtorch.
/// </summary>
public static class StateDict
{
    private const long Float32 = 6;
    private const int MaxEntries = 1024;
    private const int MaxRank = 8;

    public static IReadOnlyDictionary<string, FloatTensor> Read(byte[] bytes, string path)
    {
        try
        {
            var reader = new Reader(bytes);
            var count = reader.Leb128();
            if (count > MaxEntries) throw new InvalidDataException($"{count} tensors");
            var tensors = new Dictionary<string, FloatTensor>((int)count, StringComparer.Ordinal);
            for (var i = 0; i < (int)count; i++)
            {
                var name = reader.Name();
                if (reader.Leb128() != Float32) throw new InvalidDataException($"'{name}' is not float32");
                var rank = reader.Leb128();
                if (rank > MaxRank) throw new InvalidDataException($"'{name}' has rank {rank}");
                var shape = new long[rank];
                long elements = 1;
                for (var d = 0; d < shape.Length; d++)
                {
                    shape[d] = reader.Leb128();
                    elements = shape[d] == 0 ? 0 : elements <= reader.Remaining / sizeof(float) / shape[d] ? elements * shape[d] : long.MaxValue;
                }
                if (elements > reader.Remaining / sizeof(float)) throw new InvalidDataException($"'{name}' claims more values than the section holds");
                if (!tensors.TryAdd(name, new FloatTensor(shape, reader.Floats((int)elements)))) throw new InvalidDataException($"'{name}' appears twice");
            }
            if (reader.Remaining != 0) throw new InvalidDataException($"{reader.Remaining} bytes after the last tensor");
            return tensors;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or DecoderFallbackException)
        {
            throw new TextGenException($"{path}: its weights are unreadable ({e.Message}); the file is corrupt.", e);
        }
    }

    /// <summary>The inverse of <see cref="Read"/>: the bytes TorchSharp's <c>Module.save</c> writes for these tensors, in this order.</summary>
    public static byte[] Write(IEnumerable<KeyValuePair<string, FloatTensor>> tensors)
    {
        var entries = tensors.ToList();
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write7BitEncodedInt64(entries.Count);
            foreach (var (name, tensor) in entries)
            {
                writer.Write(name);
                writer.Write7BitEncodedInt64(Float32);
                writer.Write7BitEncodedInt64(tensor.Shape.Length);
                foreach (var dimension in tensor.Shape) writer.Write7BitEncodedInt64(dimension);
                if (BitConverter.IsLittleEndian)
                {
                    writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.Values.AsSpan()));
                }
                else
                {
                    foreach (var value in tensor.Values) writer.Write(value); // BinaryWriter writes little-endian
                }
            }
        }
        return buffer.ToArray();
    }

    private sealed class Reader(byte[] bytes)
    {
        private int _position;

        public long Remaining => bytes.Length - _position;

        public long Leb128()
        {
            long value = 0;
            for (var shift = 0; shift < 63; shift += 7)
            {
                var next = Byte();
                value |= (long)(next & 0x7F) << shift;
                if (next < 0x80) return value;
            }
            throw new InvalidDataException("a number longer than 63 bits");
        }

        public string Name()
        {
            var length = 0;
            for (var shift = 0; shift < 35; shift += 7)
            {
                var next = Byte();
                length |= (next & 0x7F) << shift;
                if (next < 0x80)
                {
                    if (length is < 0 or > 1024 || length > Remaining) throw new InvalidDataException($"a {length}-byte tensor name");
                    var name = Strict.GetString(bytes, _position, length);
                    _position += length;
                    return name;
                }
            }
            throw new InvalidDataException("a bad name length");
        }

        public float[] Floats(int count)
        {
            var values = new float[count];
            var source = bytes.AsSpan(_position, count * sizeof(float));
            if (BitConverter.IsLittleEndian)
            {
                source.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            }
            else
            {
                for (var i = 0; i < count; i++) values[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(source[(i * 4)..]);
            }
            _position += count * sizeof(float);
            return values;
        }

        private byte Byte() => _position < bytes.Length ? bytes[_position++] : throw new EndOfStreamException("the section ends early");

        private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);
    }
}
