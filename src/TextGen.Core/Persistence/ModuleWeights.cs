using System.Text;
using static TorchSharp.torch;

namespace TextGen.Persistence;

/// <summary>Module parameters to and from bytes, in TorchSharp's own state-dict format.</summary>
public static class ModuleWeights
{
    public static byte[] ToBytes(nn.Module module)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            module.save(writer);
        }
        return buffer.ToArray();
    }

    public static void Load(nn.Module module, byte[] bytes, string path)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes));
            module.load(reader, strict: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException
                                       or FormatException or OverflowException or OutOfMemoryException)
        {
            throw new TextGenException($"{path}: the weights do not match the architecture in its header ({e.Message}); the file is corrupt.", e);
        }
    }
}
