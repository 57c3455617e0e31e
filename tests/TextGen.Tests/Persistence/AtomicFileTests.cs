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
