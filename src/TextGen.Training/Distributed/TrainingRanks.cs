namespace TextGen.Distributed;

/// <summary>
/// The processes that train one model together (data parallelism): started by <c>mpirun -n N textgen train</c>, each
/// trains on its own rows of every batch, their gradients are summed after every step, and rank 0 alone evaluates,
/// prints and saves. A process not started by mpirun is one rank of one (<see cref="Single"/>) and loads no MPI library.
/// </summary>
public sealed class TrainingRanks
{
    private readonly OpenMpi? _mpi;
    private bool _finished;

    private TrainingRanks(OpenMpi? mpi, int rank, int size, int localRank, int localSize)
    {
        _mpi = mpi;
        (Rank, Size, LocalRank, LocalSize) = (rank, size, localRank, localSize);
    }

    /// <summary>One process training alone: every collective is a no-op.</summary>
    public static TrainingRanks Single { get; } = new(null, 0, 1, 0, 1);

    public int Rank { get; }
    public int Size { get; }
    /// <summary>This rank's place among the ranks on its machine, and how many share the machine and its cores.</summary>
    public int LocalRank { get; }
    public int LocalSize { get; }
    /// <summary>Rank 0: the one that evaluates, prints and saves.</summary>
    public bool IsLeader => Rank == 0;

    /// <summary>Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE in every process it starts.</summary>
    public static bool StartedByMpirun => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;

    /// <summary>MPICH's Hydra (and Intel MPI's, and Slurm's PMI) set PMI_SIZE: more than 1 means other processes expect this one to join them.</summary>
    private static bool StartedByOtherMpirun => int.TryParse(Environment.GetEnvironmentVariable("PMI_SIZE"), out var size) && size > 1;

    /// <summary>
    /// Open MPI hands each rank a pseudo-terminal for stdout, and .NET then writes the terminal's keypad sequence there
    /// (ESC[?1h ESC=) the first time the console is touched: in front of --json. A program calls this first in Main.
    /// </summary>
    public static void PlainTerminal()
    {
        if (StartedByMpirun) Environment.SetEnvironmentVariable("TERM", "dumb");
    }

    /// <summary>This process's ranks: <see cref="Single"/> unless Open MPI's mpirun started it, when MPI is initialised here.</summary>
    public static TrainingRanks Join()
    {
        if (!StartedByMpirun)
        {
            if (StartedByOtherMpirun)
            {
                throw new TextGenException("this mpirun is not Open MPI's (PMI_SIZE is set, OMPI_COMM_WORLD_SIZE is not); textgen speaks Open MPI 4 or 5: use its mpirun.");
            }
            return Single;
        }
        var mpi = OpenMpi.Initialize();
        var (localRank, localSize) = mpi.OnThisMachine();
        return new TrainingRanks(mpi, mpi.Rank(), mpi.Size(), localRank, localSize);
    }

    /// <summary>
    /// Gives this rank its share of the cores it may run on (after libtorch is loaded). mpirun binds each of two ranks to a
    /// core of its own, but more to a whole socket, where each rank's libtorch would start a thread per core.
    /// </summary>
    public void TakeShareOfCores()
    {
        if (LocalSize > 1) TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount / LocalSize));
    }

    /// <summary>Every rank's values summed, into every rank's span.</summary>
    public void SumInPlace(Span<double> values) => _mpi?.SumInPlace(values);

    public void SumInPlace(Span<float> values) => _mpi?.SumInPlace(values);

    /// <summary>bfloat16 values (their bits): half the bytes of <see cref="SumInPlace(Span{float})"/>, each partial sum rounded to bfloat16.</summary>
    public void SumBf16InPlace(Span<ushort> values) => _mpi?.SumBf16InPlace(values);

    /// <summary>Waits until every rank is here.</summary>
    public void Barrier() => _mpi?.Barrier();

    /// <summary>Rank 0's bytes into every rank's (of the same length).</summary>
    public void Broadcast(Span<byte> bytes) => _mpi?.Broadcast(bytes);

    /// <summary>Rank 0's bytes to every rank; the others pass anything (an empty array) and get rank 0's, whatever their length.</summary>
    public byte[] Broadcast(byte[] bytes)
    {
        if (_mpi is null) return bytes;
        var length = LeadersValue(bytes.Length);
        var shared = IsLeader ? bytes : new byte[checked((int)length)];
        Broadcast(shared.AsSpan());
        return shared;
    }

    /// <summary>Rank 0's <paramref name="value"/>, on every rank: for what each rank may have worked out differently (a seed drawn at random, a measurement).</summary>
    public long LeadersValue(long value)
    {
        if (_mpi is null) return value;
        Span<long> shared = [value];
        _mpi.Broadcast(System.Runtime.InteropServices.MemoryMarshal.AsBytes(shared));
        return shared[0];
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the first rank of each machine, then on the other ranks of that machine: what the
    /// first one writes (the token cache) the others then read instead of writing it too.
    /// </summary>
    public void FirstOnEachMachine(Action work) => FirstOnEachMachine(() =>
    {
        work();
        return 0;
    });

    /// <inheritdoc cref="FirstOnEachMachine(Action)"/>
    public T FirstOnEachMachine<T>(Func<T> work)
    {
        if (_mpi is null) return work();
        T result = default!;
        Exception? failure = null;
        try
        {
            if (LocalRank == 0) result = work();
        }
        catch (Exception e)
        {
            failure = e;
        }
        _mpi.Barrier();
        if (failure is not null) throw failure;
        return LocalRank == 0 ? result : work();
    }

    /// <summary>
    /// Leaves MPI after a run every rank finished: mpirun wants MPI_Finalize before exit, which waits for every rank.
    /// A rank that failed must not call it, but exit: mpirun then stops the others.
    /// </summary>
    public void Finish()
    {
        if (_mpi is null || _finished) return;
        _finished = true;
        _mpi.Close();
    }
}
