using System.Runtime.InteropServices;
using TextGen.Modeling;

namespace TextGen.Distributed;

/// <summary>
/// The few calls of Open MPI's C API that data-parallel training needs, bound by hand: MPI.NET's Linux build wants a
/// native shim compiled against the MPI in use, and these are a dozen functions. Open MPI's handles
/// (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>) are the addresses of exported objects, so they are read
/// from the library rather than compiled in. Loaded only when <c>mpirun</c> started the process (<see cref="TrainingRanks.Join"/>).
/// </summary>
internal sealed unsafe class OpenMpi
{
    private const int Success = 0;
    private const int ThreadSerialized = 2; // MPI_THREAD_SERIALIZED: calls from any thread, one at a time
    private const int CommTypeShared = 0; // MPI_COMM_TYPE_SHARED
    private static readonly void* InPlace = (void*)1; // MPI_IN_PLACE in Open MPI's mpi.h

    /// <summary>Debian's libopenmpi3 (Open MPI 4.x); Open MPI 5 keeps the soname.</summary>
    public const string LibraryName = "libmpi.so.40";

    private readonly nint _world;
    private readonly nint _float;
    private readonly nint _double;
    private readonly nint _byte;
    private readonly nint _uint16;
    private readonly nint _sum;
    private readonly nint _infoNull;
    private nint _bf16Sum; // MPI_Op_create's, after MPI_Init
    private readonly delegate* unmanaged<int*, nint*, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<nint, int*, int> _commRank;
    private readonly delegate* unmanaged<nint, int*, int> _commSize;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, int> _bcast;
    private readonly delegate* unmanaged<nint, int> _barrier;
    private readonly delegate* unmanaged<nint, int, int, nint, nint*, int> _commSplitType;
    private readonly delegate* unmanaged<nint*, int> _commFree;
    private readonly delegate* unmanaged<nint, int, nint*, int> _opCreate;

    private OpenMpi(nint library)
    {
        nint Export(string name) => NativeLibrary.GetExport(library, name);
        _world = Export("ompi_mpi_comm_world");
        _float = Export("ompi_mpi_float");
        _double = Export("ompi_mpi_double");
        _byte = Export("ompi_mpi_byte");
        _uint16 = Export("ompi_mpi_uint16_t");
        _sum = Export("ompi_mpi_op_sum");
        _infoNull = Export("ompi_mpi_info_null");
        _initThread = (delegate* unmanaged<int*, nint*, int, int*, int>)Export("MPI_Init_thread");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        _commRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export("MPI_Bcast");
        _barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
        _commSplitType = (delegate* unmanaged<nint, int, int, nint, nint*, int>)Export("MPI_Comm_split_type");
        _commFree = (delegate* unmanaged<nint*, int>)Export("MPI_Comm_free");
        _opCreate = (delegate* unmanaged<nint, int, nint*, int>)Export("MPI_Op_create");
    }

    /// <summary>Loads libmpi and initialises MPI; the process must have been started by Open MPI's mpirun.</summary>
    public static OpenMpi Initialize()
    {
        if (!NativeLibrary.TryLoad(LibraryName, out var library))
        {
            throw new TextGenException($"mpirun started textgen, but Open MPI's {LibraryName} could not be loaded; install it (Debian: apt-get install openmpi-bin) " +
                                       "or put its folder in LD_LIBRARY_PATH.");
        }
        var mpi = new OpenMpi(library);
        int provided;
        mpi.Check(mpi._initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < ThreadSerialized)
        {
            throw new TextGenException("this Open MPI does not allow calls from more than one thread (MPI_THREAD_SERIALIZED); use a build with thread support.");
        }
        nint op;
        mpi.Check(mpi._opCreate((nint)(delegate* unmanaged<ushort*, ushort*, int*, nint*, void>)&SumBf16, 1, &op), "MPI_Op_create");
        mpi._bf16Sum = op;
        return mpi;
    }

    public int Rank(nint communicator = 0)
    {
        int rank;
        Check(_commRank(communicator == 0 ? _world : communicator, &rank), "MPI_Comm_rank");
        return rank;
    }

    public int Size(nint communicator = 0)
    {
        int size;
        Check(_commSize(communicator == 0 ? _world : communicator, &size), "MPI_Comm_size");
        return size;
    }

    /// <summary>(this process's rank among the ranks on its machine, how many there are).</summary>
    public (int Rank, int Size) OnThisMachine()
    {
        nint local;
        Check(_commSplitType(_world, CommTypeShared, 0, _infoNull, &local), "MPI_Comm_split_type");
        try
        {
            return (Rank(local), Size(local));
        }
        finally
        {
            _commFree(&local);
        }
    }

    public void SumInPlace(Span<float> values)
    {
        fixed (float* p = values) Check(_allreduce(InPlace, p, values.Length, _float, _sum, _world), "MPI_Allreduce");
    }

    public void SumInPlace(Span<double> values)
    {
        fixed (double* p = values) Check(_allreduce(InPlace, p, values.Length, _double, _sum, _world), "MPI_Allreduce");
    }

    /// <summary>bfloat16 values (as ushort bits), each partial sum taken in float32 and rounded back.</summary>
    public void SumBf16InPlace(Span<ushort> values)
    {
        fixed (ushort* p = values) Check(_allreduce(InPlace, p, values.Length, _uint16, _bf16Sum, _world), "MPI_Allreduce");
    }

    /// <summary>Rank 0's bytes into every rank's <paramref name="bytes"/> (the same length everywhere).</summary>
    public void Broadcast(Span<byte> bytes)
    {
        for (var start = 0; start < bytes.Length; start += int.MaxValue / 2)
        {
            var chunk = bytes.Slice(start, Math.Min(int.MaxValue / 2, bytes.Length - start));
            fixed (byte* p = chunk) Check(_bcast(p, chunk.Length, _byte, 0, _world), "MPI_Bcast");
        }
    }

    public void Barrier() => Check(_barrier(_world), "MPI_Barrier");

    public void Close() => _finalize();

    private void Check(int code, string call)
    {
        if (code != Success) throw new TextGenException($"{call} failed (MPI error {code}); see mpirun's messages above.");
    }

    /// <summary>MPI's reduction of bfloat16 values: into[i] = bf16(float(from[i]) + float(into[i])), in vectors, a block at a time.</summary>
    [UnmanagedCallersOnly]
    private static void SumBf16(ushort* from, ushort* into, int* length, nint* type)
    {
        const int Block = 1024;
        Span<float> a = stackalloc float[Block];
        Span<float> b = stackalloc float[Block];
        for (var start = 0; start < *length; start += Block)
        {
            var count = Math.Min(Block, *length - start);
            var left = a[..count];
            var right = b[..count];
            BFloat16Rows.Widen(new ReadOnlySpan<ushort>(from + start, count), left);
            BFloat16Rows.Widen(new ReadOnlySpan<ushort>(into + start, count), right);
            System.Numerics.Tensors.TensorPrimitives.Add(left, right, right);
            BFloat16Rows.Narrow(right, new Span<ushort>(into + start, count));
        }
    }
}
