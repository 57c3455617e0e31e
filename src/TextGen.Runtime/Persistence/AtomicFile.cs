namespace TextGen.Persistence;

/// <summary>Writes files so that readers see either the old file or the complete new one, never a half-written one.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var temp = TempNameFor(full);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            RemoveStaleTemps(full);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            TryDelete(temp);
            throw new TextGenException($"cannot write {path}: the disk is full (or your quota is used up); free some space on it or choose a path on another disk.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new TextGenException($"cannot write {path} ({e.Message}); choose a writable path.", e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Checks early, before long work, that <paramref name="path"/> can be written, without leaving anything behind.</summary>
    public static void EnsureWritable(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new TextGenException($"{path} is a directory; give a file path.");
        }
        Write(full + ".probe", _ => { });
        TryDelete(full + ".probe");
        RemoveStaleTemps(full); // before long work that may write nothing (a resumed run whose budget is spent)
    }

    /// <summary>
    /// Temp files of this path, and of the files named after it (its checkpoint), left by a process that no longer runs
    /// (killed with SIGKILL, or power lost) are removed by the next write or check, so none outlives the next run.
    /// </summary>
    private static void RemoveStaleTemps(string full) => RemoveStaleTemps(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.");

    /// <summary>Temp files in <paramref name="directory"/> whose names start with <paramref name="prefix"/> (all, by default) and whose writer no longer runs.</summary>
    public static void RemoveStaleTemps(string directory, string prefix = ".")
    {
        if (!Directory.Exists(directory)) return;
        foreach (var stale in Directory.EnumerateFiles(directory, prefix + "*.tmp"))
        {
            var owner = Path.GetFileName(stale).Split('.')[^3]; // .NAME.PID.GUID.tmp
            if (int.TryParse(owner, out var pid) && pid != Environment.ProcessId && !IsRunning(pid))
            {
                TryDelete(stale);
            }
        }
    }

    /// <summary>ENOSPC and EDQUOT on Linux (.NET puts the errno in HResult), ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL on Windows.</summary>
    internal static bool IsDiskFull(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 0x70 or 0x27 : e.HResult is 28 or 122;

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string TempNameFor(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the temp name is hidden and unique.
        }
    }
}
