using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TextGen.Data;

/// <summary>
/// What a file's metadata says of its content: its size, its modification and inode-change times (nanoseconds since
/// 1970) and, on Linux, its inode and device. The change time moves on every write and on every change of the
/// modification time, and no user can set it, so a content change that restores the size and the modification time
/// (as `touch -r` would) still shows, as git's index notices it. Elsewhere only size and modification time are known.
/// </summary>
public readonly record struct FileStamp(long Length, long ModifiedNs, long ChangedNs, ulong Inode, ulong Device)
{
    public static FileStamp Of(string path)
    {
        if (OperatingSystem.IsLinux() && Statx(path) is { } stamp) return stamp;
        var info = new FileInfo(path);
        if (!info.Exists) throw new TextGenException($"{path} was removed while it was read; run again once it is back.");
        var modified = (info.LastWriteTimeUtc - DateTime.UnixEpoch).Ticks * 100;
        return new FileStamp(info.Length, modified, modified, 0, 0);
    }

    /// <summary>The later of the two times.</summary>
    public long LatestNs => Math.Max(ModifiedNs, ChangedNs);

    /// <summary>
    /// Whether a record made at <paramref name="recordedNs"/> can vouch for this file: only when the file's times are
    /// clearly older than the record. A file written in the same instant as (or after) the record may change again
    /// without its times moving: git calls that "racily clean", and looks again. "Clearly" is a margin over the file
    /// system's timestamp granularity: 2 s where the times have no sub-second part (FAT, ext3), else 100 ms (Linux
    /// stamps files from a clock that lags by up to one timer tick).
    /// </summary>
    public bool OlderThan(long recordedNs) => recordedNs - LatestNs > MarginNs;

    /// <summary>
    /// Whether the file changed within the margin before <paramref name="nowNs"/>, so that it could change again without
    /// its stamp moving. A change time in the future (a clock set back) is not waited on: such a file is never vouched
    /// for by a record either.
    /// </summary>
    public bool ChangedJustBefore(long nowNs) => nowNs - ChangedNs is var age && age >= 0 && age <= MarginNs;

    private long MarginNs => ModifiedNs % 1_000_000_000 == 0 && ChangedNs % 1_000_000_000 == 0 ? 2_000_000_000 : 100_000_000;

    public static long NowNs => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    private static FileStamp? Statx(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        try
        {
            if (statx(AtFdCwd, path, 0, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // not glibc 2.28 or newer
        }
        static long Time(ReadOnlySpan<byte> at) => BinaryPrimitives.ReadInt64LittleEndian(at) * 1_000_000_000 + BinaryPrimitives.ReadUInt32LittleEndian(at[8..]);
        // struct statx: stx_ino at 32, stx_size at 40, stx_ctime at 96, stx_mtime at 112 (each {s64 sec; u32 nsec}), stx_dev_major/minor at 136/140.
        var device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer[140..]);
        return new FileStamp(BinaryPrimitives.ReadInt64LittleEndian(buffer[40..]), Time(buffer[112..]), Time(buffer[96..]),
            BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]), device);
    }

    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7FF;

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);
}
