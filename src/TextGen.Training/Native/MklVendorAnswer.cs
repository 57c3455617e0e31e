using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using TextGen.Benchmarking;

namespace TextGen.Native;

/// <summary>
/// Answers MKL's CPU-vendor check "Intel" on AMD CPUs, so that libtorch's float32 products take MKL's fast kernels
/// (under half speed otherwise; docs/runtime.md). MKL, linked into libtorch_cpu, asks the exported
/// <c>mkl_serv_intel_cpu_true()</c> before it picks kernels, and still picks among them by the CPU's own feature flags,
/// so the answer only lifts the vendor gate. A library loaded into the global symbol scope before libtorch defines that
/// function first, as a preload would. The library is written here, byte by byte (an ELF shared object of one
/// function, <c>mov eax, 1; ret</c>), into an anonymous memory file: no compiler on the user's machine, no file that
/// another user could swap, nothing left behind.
/// </summary>
internal static class MklVendorAnswer
{
    public const string Symbol = "mkl_serv_intel_cpu_true";
    private const string SharedObjectName = "libtextgen-mkl-vendor.so";

    private static bool _installed;

    /// <summary>Whether this process answers MKL's vendor check (after <see cref="Install"/>).</summary>
    public static bool Installed => _installed;

    /// <summary>
    /// On Linux x86-64 with an AMD CPU, loads the answer into the global scope; must run before libtorch is loaded.
    /// Never fails: without it MKL is only slower. <c>TEXTGEN_MKL_VENDOR=off</c> leaves MKL's own answer; <c>on</c>
    /// gives it on any x86-64 CPU (on Intel's it is MKL's own answer; the tests use it to check the binding anywhere).
    /// </summary>
    public static void Install()
    {
        var setting = Environment.GetEnvironmentVariable("TEXTGEN_MKL_VENDOR");
        if (_installed || !OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64
            || setting == "off" || (setting != "on" && !CpuFeatures.IsAmd))
        {
            return;
        }
        try
        {
            _installed = Load(SharedObject(), global: true) != 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or IOException)
        {
            // Not glibc, or no memfd_create: MKL keeps its own answer.
        }
    }

    /// <summary>Loads an ELF image from memory (RTLD_NOW, and RTLD_GLOBAL when asked); 0 when it could not be loaded.</summary>
    internal static nint Load(byte[] image, bool global)
    {
        // Close-on-exec, so no child inherits it; executable, where the kernel makes memory files non-executable by
        // default (vm.memfd_noexec, Linux 6.3+). Kernels before 6.3 refuse MFD_EXEC: then without it.
        var fd = memfd_create(SharedObjectName, MfdCloexec | MfdExec);
        if (fd < 0) fd = memfd_create(SharedObjectName, MfdCloexec);
        if (fd < 0) return 0;
        try
        {
            using (var file = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), FileAccess.Write))
            {
                file.Write(image);
            }
            return dlopen($"/proc/self/fd/{fd}", RtldNow | (global ? RtldGlobal : 0));
        }
        finally
        {
            close(fd); // the loader keeps its own mapping
        }
    }

    /// <summary>
    /// The shared object: an ELF header, four program headers (text, data, dynamic, a non-executable stack), then a
    /// SysV hash table, the symbol table, the string table and the code in the read-only, executable page, and the
    /// dynamic section in the writable page after it.
    /// </summary>
    internal static byte[] SharedObject()
    {
        const int page = 0x1000, headerSize = 64, programHeaderSize = 56, programHeaders = 4, symbolSize = 24;
        var strings = Encoding.ASCII.GetBytes($"\0{Symbol}\0{SharedObjectName}\0");
        const int symbolName = 1;
        var sonameOffset = 1 + Symbol.Length + 1;
        byte[] code = [0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3]; // mov eax, 1; ret

        var hash = headerSize + programHeaders * programHeaderSize;
        const int hashSize = 5 * 4; // nbucket = 1, nchain = 2, bucket[0] = 1, chain = {0, 0}
        var symbols = (hash + hashSize + 7) & ~7; // ELF64 symbol entries are 8-byte aligned
        var stringTable = symbols + 2 * symbolSize;
        var text = (stringTable + strings.Length + 15) & ~15;
        var textEnd = text + code.Length;
        const int dynamic = page;
        (long Tag, long Value)[] entries =
        [
            (4, hash), (5, stringTable), (6, symbols), (10, strings.Length), (11, symbolSize), (14, sonameOffset), (0, 0),
        ];
        var dynamicSize = entries.Length * 16;
        var image = new byte[dynamic + dynamicSize];
        var span = image.AsSpan();

        WriteElfHeader(span, headerSize, programHeaderSize, programHeaders);
        void ProgramHeader(int index, uint type, uint flags, long offset, long size, long align) =>
            WriteProgramHeader(image.AsSpan(headerSize + index * programHeaderSize), type, flags, offset, size, align);
        const uint read = 4, write = 2, execute = 1;
        ProgramHeader(0, 1, read | execute, 0, textEnd, page); // PT_LOAD
        ProgramHeader(1, 1, read | write, dynamic, dynamicSize, page); // PT_LOAD
        ProgramHeader(2, 2, read | write, dynamic, dynamicSize, 8); // PT_DYNAMIC
        ProgramHeader(3, 0x6474E551, read | write, 0, 0, 16); // PT_GNU_STACK: the stack stays non-executable

        BinaryPrimitives.WriteUInt32LittleEndian(span[hash..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(hash + 4)..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(hash + 8)..], 1);

        var symbol = span[(symbols + symbolSize)..]; // entry 0 is the null symbol
        BinaryPrimitives.WriteUInt32LittleEndian(symbol, symbolName);
        symbol[4] = 0x12; // STB_GLOBAL, STT_FUNC
        BinaryPrimitives.WriteUInt16LittleEndian(symbol[6..], 1); // defined (any index but SHN_UNDEF)
        BinaryPrimitives.WriteInt64LittleEndian(symbol[8..], text);
        BinaryPrimitives.WriteInt64LittleEndian(symbol[16..], code.Length);

        strings.CopyTo(span[stringTable..]);
        code.CopyTo(span[text..]);
        for (var i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[(dynamic + i * 16)..], entries[i].Tag);
            BinaryPrimitives.WriteInt64LittleEndian(span[(dynamic + i * 16 + 8)..], entries[i].Value);
        }
        return image;
    }

    /// <summary>ELF header: 64-bit, little-endian, current version, System V ABI; a shared object for x86-64.</summary>
    private static void WriteElfHeader(Span<byte> span, int headerSize, int programHeaderSize, int programHeaders)
    {
        "\u007fELF"u8.CopyTo(span);
        span[4] = 2;
        span[5] = 1;
        span[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(span[16..], 3); // ET_DYN
        BinaryPrimitives.WriteUInt16LittleEndian(span[18..], 62); // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(span[32..], (ulong)headerSize); // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(span[52..], (ushort)headerSize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[54..], (ushort)programHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[56..], (ushort)programHeaders);
        BinaryPrimitives.WriteUInt16LittleEndian(span[58..], 64); // e_shentsize; no section headers
    }

    private static void WriteProgramHeader(Span<byte> at, uint type, uint flags, long offset, long size, long align)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(at, type);
        BinaryPrimitives.WriteUInt32LittleEndian(at[4..], flags);
        BinaryPrimitives.WriteInt64LittleEndian(at[8..], offset); // file offset = virtual address = physical address
        BinaryPrimitives.WriteInt64LittleEndian(at[16..], offset);
        BinaryPrimitives.WriteInt64LittleEndian(at[24..], offset);
        BinaryPrimitives.WriteInt64LittleEndian(at[32..], size);
        BinaryPrimitives.WriteInt64LittleEndian(at[40..], size);
        BinaryPrimitives.WriteInt64LittleEndian(at[48..], align);
    }

    private const int RtldNow = 2, RtldGlobal = 0x100;
    private const uint MfdCloexec = 1, MfdExec = 0x10;

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int memfd_create([MarshalAs(UnmanagedType.LPUTF8Str)] string name, uint flags);

    [DllImport("libc.so.6")]
    private static extern int close(int fd);

    // libdl.so.2: glibc before 2.34 has dlopen there only; later ones keep it there too.
    [DllImport("libdl.so.2")]
    private static extern nint dlopen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
}
