using TextGen.Persistence;

namespace TextGen.Tests.Persistence;

public class AtomicFileTests
{
    [Fact]
    public void AWriteRemovesTempFilesThatAKilledProcessLeftButNotThoseOfALiveOne()
    {
        using var dir = new TempDirectory();
        var stale = dir.Write($".m.tgm.{int.MaxValue - 7}.0123abcd.tmp", "half a model"); // no such process
        var live = dir.Write($".m.tgm.{Environment.ProcessId}.4567ef.tmp", "being written by this process");
        var other = dir.Write($".other.tgm.{int.MaxValue - 7}.89.tmp", "another file's temp");

        AtomicFile.Write(dir.File("m.tgm"), stream => stream.WriteByte(1));

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(other)); // only the written path's temps are its business
        Assert.Equal([1], File.ReadAllBytes(dir.File("m.tgm")));
    }

    [Fact]
    public void CheckingAModelPathBeforeTrainingRemovesTheStaleTempsOfItsCheckpointToo()
    {
        using var dir = new TempDirectory();
        var stale = dir.Write($".m.tgm.ckpt.{int.MaxValue - 7}.0123abcd.tmp", "half a checkpoint");
        AtomicFile.EnsureWritable(dir.File("m.tgm"));
        Assert.False(File.Exists(stale));
        Assert.Empty(dir.Files());
    }
}

/// <summary>A model written to a full disk: a real `textgen train` process whose output folder is a full file system.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class DiskFullTests
{
    [Fact]
    public async Task TrainingOntoAFullDiskSaysTheDiskIsFullAndLeavesNothingBehind()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(3));
        var full = Directory.CreateDirectory(dir.File("full")).FullName;
        // A 4 KiB tmpfs in a private mount namespace (a user namespace: no root needed) takes the empty probe file and
        // nothing the size of a model. Where user namespaces are off, the errno mapping is checked alone.
        if (!CanMountInUserNamespace())
        {
            Assert.True(AtomicFile.IsDiskFull(new IOException("No space left on device", 28)));
            Assert.False(AtomicFile.IsDiskFull(new IOException("Permission denied", 13)));
            return;
        }
        var script = "mount -t tmpfs -o size=4k tmpfs \"$1\" || exit 99; shift; \"$@\"; code=$?; ls -A \"$0\" 1>&2; exit $code";
        var start = new System.Diagnostics.ProcessStartInfo("unshare",
            ["-rm", "sh", "-c", script, full, full, Environment.ProcessPath!, Path.Combine(AppContext.BaseDirectory, "textgen.dll"),
             "train", corpus, "-o", Path.Combine(full, "m.tgm"), "--hidden", "32", "--epochs", "1", "--seed", "1"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = (await process.StandardError.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();
        await output;
        Assert.Equal(1, process.ExitCode);
        var lines = error.Split('\n').Where(l => !l.StartsWith("warning:", StringComparison.Ordinal)).ToArray();
        Assert.Single(lines, l => l.StartsWith("textgen: ", StringComparison.Ordinal));
        Assert.Contains("the disk is full", error);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain(".tmp", error); // `ls -A` of the full disk: no temp file left in it
    }

    private static bool CanMountInUserNamespace()
    {
        try
        {
            using var probe = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("unshare", ["-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"])
            {
                RedirectStandardError = true,
            })!;
            probe.StandardError.ReadToEnd();
            probe.WaitForExit();
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no unshare
        }
    }
}
