using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace TextGen.Data;

/// <summary>
/// A read-only sequence of token ids, addressed by 64-bit positions so a corpus may hold more than 2^31 tokens: an
/// array in memory (small texts, tests) or a file of little-endian ids of 1, 2 or 4 bytes each (the token cache).
/// A file is read with positional reads rather than mapped: pages touched through a mapping count in the process's
/// resident memory, and training's streams touch the whole corpus each epoch, so a mapping grows to the corpus size;
/// reads through the page cache keep the process at a few MB whatever the corpus (docs/corpora.md has the figures).
/// </summary>
public abstract class TokenIds : IDisposable
{
    public abstract long Length { get; }

    /// <summary>Copies ids [<paramref name="start"/>, start + destination.Length) into <paramref name="destination"/>.</summary>
    public abstract void Read(long start, Span<int> destination);

    public int this[long index]
    {
        get
        {
            Span<int> one = stackalloc int[1];
            Read(index, one);
            return one[0];
        }
    }

    /// <summary>The ids [start, start + length) as a sequence of their own (sharing the storage).</summary>
    public TokenIds Slice(long start, long length)
    {
        CheckRange(start, length);
        return new Window(this, start, length);
    }

    public int[] ToArray(long start, int length)
    {
        var ids = new int[length];
        Read(start, ids);
        return ids;
    }

    public int[] ToArray() => ToArray(0, checked((int)Length));

    public static TokenIds FromArray(int[] ids) => new InMemory(ids);

    public static implicit operator TokenIds(int[] ids) => FromArray(ids);

    /// <summary>The narrowest element (1, 2 or 4 bytes) that holds every id of a vocabulary of this size.</summary>
    public static int ElementSize(int vocabularySize) => vocabularySize <= 1 << 8 ? 1 : vocabularySize <= 1 << 16 ? 2 : 4;

    /// <summary>Writes ids as <paramref name="elementSize"/>-byte little-endian integers (the file format <see cref="OpenFile"/> reads).</summary>
    public static void Write(Stream stream, ReadOnlySpan<int> ids, int elementSize) => stream.Write(ToBytes(ids, elementSize));

    /// <summary>Ids as the bytes <see cref="Write"/> writes; throws <see cref="OverflowException"/> for an id the element cannot hold.</summary>
    public static byte[] ToBytes(ReadOnlySpan<int> ids, int elementSize)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(ids.Length * elementSize); // every byte is written below
        WriteBytes(ids, elementSize, bytes);
        return bytes;
    }

    /// <summary><see cref="ToBytes"/> into an array from the shared pool (longer than needed), to be returned by the caller.</summary>
    internal static byte[] ToPooledBytes(ReadOnlySpan<int> ids, int elementSize)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(1, ids.Length * elementSize));
        WriteBytes(ids, elementSize, bytes);
        return bytes;
    }

    private static void WriteBytes(ReadOnlySpan<int> ids, int elementSize, Span<byte> bytes)
    {
        switch (elementSize)
        {
            case 1:
                System.Numerics.Tensors.TensorPrimitives.ConvertChecked(ids, bytes[..ids.Length]);
                break;
            case 2:
                for (var i = 0; i < ids.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes[(2 * i)..], checked((ushort)ids[i]));
                break;
            default:
                for (var i = 0; i < ids.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes[(4 * i)..], ids[i]);
                break;
        }
    }

    /// <summary>A file of <paramref name="count"/> ids of <paramref name="elementSize"/> bytes; every id is checked against the vocabulary as it is read.</summary>
    public static TokenIds OpenFile(string path, long count, int elementSize, int vocabularySize) => new OnDisk(path, count, elementSize, vocabularySize);

    public virtual void Dispose() { }

    protected void CheckRange(long start, long length)
    {
        if (start < 0 || length < 0 || start > Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"ids [{start}, {start + length}) lie outside [0, {Length})");
        }
    }

    private sealed class InMemory(int[] ids) : TokenIds
    {
        public override long Length => ids.Length;

        public override void Read(long start, Span<int> destination)
        {
            CheckRange(start, destination.Length);
            ids.AsSpan((int)start, destination.Length).CopyTo(destination);
        }
    }

    private sealed class Window(TokenIds whole, long offset, long length) : TokenIds
    {
        public override long Length => length;

        public override void Read(long start, Span<int> destination)
        {
            CheckRange(start, destination.Length);
            whole.Read(offset + start, destination);
        }
    }

    private sealed class OnDisk : TokenIds
    {
        private readonly SafeFileHandle _file;
        private readonly int _elementSize;
        private readonly int _vocabularySize;

        public OnDisk(string path, long count, int elementSize, int vocabularySize)
        {
            _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            var bytes = RandomAccess.GetLength(_file);
            if (elementSize is not (1 or 2 or 4) || count < 0 || bytes % elementSize != 0 || bytes / elementSize != count)
            {
                _file.Dispose();
                throw new TextGenException($"{path} holds {bytes} bytes, not the {count} ids of {elementSize} bytes its record names; " +
                                           $"the token cache is damaged: delete {Path.GetDirectoryName(path)}.");
            }
            Length = count;
            _elementSize = elementSize;
            _vocabularySize = vocabularySize;
        }

        public override long Length { get; }

        public override void Read(long start, Span<int> destination)
        {
            CheckRange(start, destination.Length);
            var size = destination.Length * _elementSize;
            var bytes = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                var span = bytes.AsSpan(0, size);
                for (var done = 0; done < size;)
                {
                    var read = RandomAccess.Read(_file, span[done..], start * _elementSize + done);
                    if (read == 0) throw new TextGenException("the token cache file ended early (was it truncated?); delete the token cache and run again.");
                    done += read;
                }
                for (var i = 0; i < destination.Length; i++)
                {
                    var id = _elementSize switch
                    {
                        1 => span[i],
                        2 => BinaryPrimitives.ReadUInt16LittleEndian(span[(2 * i)..]),
                        _ => BinaryPrimitives.ReadInt32LittleEndian(span[(4 * i)..]),
                    };
                    destination[i] = (uint)id < (uint)_vocabularySize ? id
                        : throw new TextGenException($"the token cache holds id {id}, outside the vocabulary of {_vocabularySize}; it is damaged: delete the token cache and run again.");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }

        public override void Dispose() => _file.Dispose();
    }
}
