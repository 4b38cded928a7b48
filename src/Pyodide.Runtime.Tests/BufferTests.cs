namespace Pyodide.Tests;

/// <summary>PyProxy.GetBuffer(type) and PyBuffer: zero-copy views of Python buffers,
/// their geometry (shape, strides, offset, contiguity), reinterpretation by type
/// name, Python's export rules, and disposal.</summary>
public sealed class BufferTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    private PyProxy Eval(string code) => Expect.Proxy(_py.RunPython(code));

    [Fact]
    public void BytesAreReadOnly()
    {
        // bytes results arrive by value; ToPy gives a proxy of a bytes object.
        using var b = _py.ToPy("hello"u8.ToArray());
        Assert.Equal("bytes", b.TypeName);
        using var buf = b.GetBuffer();
        Assert.True(buf.ReadOnly);
        Assert.Equal(1, buf.NDim);
        Assert.Equal(1, buf.ItemSize);
        Assert.Equal("B", buf.Format);
        Assert.Equal(new long[] { 5 }, buf.Shape);
        Assert.Equal(new long[] { 1 }, buf.Strides);
        Assert.Equal(new long[] { 1 }, buf.ByteStrides);
        Assert.Equal(5, buf.ByteCount);
        Assert.Equal(0, buf.Offset);
        Assert.True(buf.CContiguous);
        Assert.True(buf.FContiguous);
        Assert.Equal(buf.Data, buf.First);
        Assert.Throws<InvalidOperationException>(() => buf.AsSpan<byte>());
        Assert.Throws<InvalidOperationException>(() => buf.Set<byte>(1, 0));
        Assert.Equal("hello"u8.ToArray(), buf.AsReadOnlySpan<byte>().ToArray());
        Assert.Equal((byte)'e', buf.Get<byte>(1));
    }

    [Fact]
    public void BytearrayIsZeroCopyInBothDirections()
    {
        _py.RunPython("buf_ba = bytearray(b'abcdef')");
        using var ba = Eval("buf_ba");
        using var buf = ba.GetBuffer();
        Assert.False(buf.ReadOnly);
        Assert.Equal(6, buf.ByteCount);
        Span<byte> span = buf.AsSpan<byte>();
        Assert.Equal("abcdef"u8.ToArray(), span.ToArray());

        // Host writes are visible to Python...
        span[0] = (byte)'X';
        buf.Set<byte>((byte)'Y', 5);
        Assert.Equal(true, _py.RunPython("buf_ba == bytearray(b'XbcdeY')"));
        // ...and Python's writes to the host, through the same span.
        _py.RunPython("buf_ba[1:3] = b'12'");
        Assert.Equal((byte)'1', span[1]);
        Assert.Equal((byte)'2', buf.Get<byte>(2));
        Assert.Equal("X12deY"u8.ToArray(), buf.AsReadOnlySpan<byte>().ToArray());
        // Reading through wider types sees the same bytes.
        Assert.Equal(BitConverter.ToUInt16("X1"u8), buf.AsReadOnlySpan<ushort>()[0]);
        Assert.Throws<InvalidOperationException>(() => buf.AsSpan<uint>()); // 6 bytes are not whole uints
    }

    public static TheoryData<string, int, string> TypeCodes() => new()
    {
        { "b", 1, "b" },
        { "B", 1, "B" },
        { "u", 4, "w" }, // wchar_t is 4 bytes on wasm32-wasi; Python reports PEP 3118's UCS-4 code
        { "h", 2, "h" },
        { "H", 2, "H" },
        { "i", 4, "i" },
        { "I", 4, "I" },
        { "l", 4, "<i" }, // C long is 4 bytes in the guest: normalized so 64-bit hosts do not misread it
        { "L", 4, "<I" },
        { "q", 8, "q" },
        { "Q", 8, "Q" },
        { "f", 4, "f" },
        { "d", 8, "d" },
    };

    [Theory]
    [MemberData(nameof(TypeCodes))]
    public void ArrayTypecodes(string code, int itemSize, string format)
    {
        string init = code == "u" ? "'abc'" : "[1, 2, 3]";
        using var a = Eval($"import array\narray.array('{code}', {init})");
        using var buf = a.GetBuffer();
        Assert.Equal(itemSize, buf.ItemSize);
        Assert.Equal(format, buf.Format);
        Assert.Equal(1, buf.NDim);
        Assert.Equal(new long[] { 3 }, buf.Shape);
        Assert.Equal(new long[] { 1 }, buf.Strides);
        Assert.Equal(new long[] { itemSize }, buf.ByteStrides);
        Assert.Equal(3 * itemSize, buf.ByteCount);
        Assert.False(buf.ReadOnly);
        Assert.True(buf.CContiguous);
        // The guest's own item size agrees, and the bytes are Python's bytes.
        using var info = Expect.Proxy(_py.RunPython("lambda a: [a.itemsize, bytes(a)]"));
        using var pyInfo = Expect.Proxy(info.Call(a));
        var items = Assert.IsType<List<object?>>(pyInfo.ToManaged());
        Assert.Equal((long)itemSize, items[0]);
        Assert.Equal(Assert.IsType<byte[]>(items[1]), buf.AsReadOnlySpan<byte>().ToArray());
    }

    [Fact]
    public void ArrayElementsReadAndWriteAsTheirTypes()
    {
        _py.RunPython("import array\nbuf_q = array.array('q', [-1, 2**62]); buf_d = array.array('d', [0.5, -2.25]); buf_l = array.array('l', [-5, 7]); buf_u = array.array('u', 'a🐍')");
        using (var q = Eval("buf_q"))
        using (var buf = q.GetBuffer())
        {
            Assert.Equal(-1L, buf.Get<long>(0));
            Assert.Equal(1L << 62, buf.AsSpan<long>()[1]);
            buf.Set(long.MinValue, 1);
        }
        Assert.Equal(true, _py.RunPython("buf_q[1] == -2**63"));
        using (var d = Eval("buf_d"))
        using (var buf = d.GetBuffer())
        {
            Assert.Equal(new[] { 0.5, -2.25 }, buf.AsReadOnlySpan<double>().ToArray());
            buf.AsSpan<double>()[0] = 1e300;
        }
        Assert.Equal(true, _py.RunPython("buf_d[0] == 1e300"));
        using (var l = Eval("buf_l"))
        using (var buf = l.GetBuffer())
        {
            Assert.Equal(-5, buf.Get<int>(0));
            Assert.Equal(7, buf.Get<int>(1));
            // An 8-byte read of a 4-byte item is refused, not misread.
            Assert.Throws<ArgumentException>(() => buf.Get<long>(0));
        }
        using (var u = Eval("buf_u"))
        using (var buf = u.GetBuffer())
        {
            Assert.Equal(new[] { 'a', 0x1F40D }, buf.AsReadOnlySpan<int>().ToArray());
        }
    }

    [Fact]
    public void TwoDimensionalMemoryview()
    {
        _py.RunPython("import array\nbuf_2d = memoryview(array.array('i', range(12))).cast('B').cast('i', (3, 4))");
        using var m = Eval("buf_2d");
        using var buf = m.GetBuffer();
        Assert.Equal(2, buf.NDim);
        Assert.Equal(4, buf.ItemSize);
        Assert.Equal("i", buf.Format);
        Assert.Equal(new long[] { 3, 4 }, buf.Shape);
        Assert.Equal(new long[] { 4, 1 }, buf.Strides);
        Assert.Equal(new long[] { 16, 4 }, buf.ByteStrides);
        Assert.Equal(48, buf.ByteCount);
        Assert.True(buf.CContiguous);
        Assert.False(buf.FContiguous);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(i * 4 + j, buf.Get<int>(i, j));
        buf.Set(-99, 2, 1);
        Assert.Equal(-99L, _py.RunPython("buf_2d[2, 1]"));
        Assert.Equal(Enumerable.Range(0, 12).Select(x => x == 9 ? -99 : x).ToArray(), buf.AsReadOnlySpan<int>().ToArray());
    }

    [Fact]
    public void ThreeDimensionalMemoryview()
    {
        _py.RunPython("buf_3d = memoryview(bytearray(24)).cast('B', (2, 3, 4))\nfor i in range(24): buf_3d.obj[i] = (i * 7) % 256");
        using var m = Eval("buf_3d");
        using var buf = m.GetBuffer();
        Assert.Equal(3, buf.NDim);
        Assert.Equal(new long[] { 2, 3, 4 }, buf.Shape);
        Assert.Equal(new long[] { 12, 4, 1 }, buf.Strides);
        Assert.Equal(new long[] { 12, 4, 1 }, buf.ByteStrides);
        Assert.Equal(24, buf.ByteCount);
        Assert.True(buf.CContiguous);
        Assert.False(buf.FContiguous);
        Assert.Equal(0, buf.Offset);
        using var at = Expect.Proxy(_py.RunPython("lambda i, j, k: buf_3d[i, j, k]"));
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                    Assert.Equal((long)buf.Get<byte>(i, j, k), Assert.IsType<long>(at.Call(i, j, k)));
        buf.Set<byte>(200, 1, 2, 3);
        Expect.Long(200, at.Call(1, 2, 3));
        Expect.Long(200, _py.RunPython("buf_3d.obj[23]"));
        Assert.Throws<IndexOutOfRangeException>(() => buf.Get<byte>(2, 0, 0));
        Assert.Throws<IndexOutOfRangeException>(() => buf.Get<byte>(0, 0, -1));
        Assert.Throws<ArgumentException>(() => buf.Get<byte>(0, 0));
        Assert.Throws<ArgumentException>(() => buf.Get<short>(0, 0, 0));
    }

    [Fact]
    public void StridedSlice()
    {
        _py.RunPython("buf_s = bytearray(range(10))");
        using var m = Eval("memoryview(buf_s)[::2]");
        using var buf = m.GetBuffer();
        Assert.Equal(new long[] { 5 }, buf.Shape);
        Assert.Equal(new long[] { 2 }, buf.Strides);
        Assert.Equal(new long[] { 2 }, buf.ByteStrides);
        Assert.False(buf.CContiguous);
        Assert.False(buf.FContiguous);
        Assert.Equal(0, buf.Offset);
        Assert.Equal(buf.Data, buf.First);
        Assert.Equal(9, buf.ByteCount); // from element 0 to the end of element 4 (byte 8)
        Assert.Throws<InvalidOperationException>(() => buf.AsSpan<byte>());
        Assert.Throws<InvalidOperationException>(() => buf.AsReadOnlySpan<byte>());
        for (int i = 0; i < 5; i++) Assert.Equal((byte)(2 * i), buf.Get<byte>(i));
        buf.Set<byte>(99, 1);
        Assert.Equal(true, _py.RunPython("buf_s[2] == 99 and buf_s[1] == 1 and buf_s[3] == 3"));
        _py.RunPython("buf_s[8] = 88");
        Assert.Equal(88, buf.Get<byte>(4));
    }

    [Fact]
    public void ReversedSlice()
    {
        _py.RunPython("buf_r = bytearray(range(10))");
        using var m = Eval("memoryview(buf_r)[::-1]");
        using var buf = m.GetBuffer();
        Assert.Equal(new long[] { 10 }, buf.Shape);
        Assert.Equal(new long[] { -1 }, buf.Strides);
        Assert.Equal(new long[] { -1 }, buf.ByteStrides);
        Assert.Equal(9, buf.Offset);
        Assert.Equal(10, buf.ByteCount);
        Assert.True(buf.Data < buf.First);
        Assert.Equal(9, buf.First - buf.Data);
        Assert.False(buf.CContiguous);
        Assert.Throws<InvalidOperationException>(() => buf.AsReadOnlySpan<byte>());
        Assert.Equal(9, buf.Get<byte>(0));
        Assert.Equal(0, buf.Get<byte>(9));
        buf.Set<byte>(77, 0);
        Assert.Equal(true, _py.RunPython("buf_r[9] == 77 and buf_r[0] == 0"));

        // Wider items: strides count elements, byte strides bytes.
        using var ints = Eval("import array\nmemoryview(array.array('i', [1, 2, 3, 4]))[::-1]");
        using var ib = ints.GetBuffer();
        Assert.Equal(new long[] { -1 }, ib.Strides);
        Assert.Equal(new long[] { -4 }, ib.ByteStrides);
        Assert.Equal(3, ib.Offset);
        Assert.Equal(12, ib.First - ib.Data);
        Assert.Equal(16, ib.ByteCount);
        Assert.Equal(new[] { 4, 3, 2, 1 }, Enumerable.Range(0, 4).Select(i => ib.Get<int>(i)).ToArray());

        // Reversed every other element.
        using var odd = Eval("memoryview(bytes(range(10)))[::-3]");
        using var ob = odd.GetBuffer();
        Assert.Equal(new long[] { 4 }, ob.Shape);
        Assert.Equal(new long[] { -3 }, ob.Strides);
        Assert.Equal(9, ob.Offset);
        Assert.Equal(new byte[] { 9, 6, 3, 0 }, Enumerable.Range(0, 4).Select(i => ob.Get<byte>(i)).ToArray());
    }

    [Fact]
    public void ZeroLengthBuffers()
    {
        foreach (string code in new[] { "bytearray()", "import array\narray.array('d')", "memoryview(bytearray(10))[5:5]", "memoryview(b'abc')[::-1][3:]" })
        {
            using var p = Eval(code);
            using var buf = p.GetBuffer();
            Assert.Equal(0, buf.ByteCount);
            Assert.Equal(new long[] { 0 }, buf.Shape);
            Assert.True(buf.CContiguous);
            Assert.Equal(0, buf.AsReadOnlySpan<byte>().Length);
        }
        using var empty = _py.ToPy(Array.Empty<byte>());
        using var eb = empty.GetBuffer();
        Assert.Equal(0, eb.ByteCount);
        Assert.Equal(0, eb.AsReadOnlySpan<byte>().Length);
        using var ba = Eval("bytearray()");
        using var bb = ba.GetBuffer();
        Assert.Equal(0, bb.AsSpan<byte>().Length);
    }

    [Fact]
    public void ZeroDimensionalBuffer()
    {
        _py.RunPython("buf_0d = bytearray(b'\\x2a')");
        using var m = Eval("memoryview(buf_0d).cast('B', ())");
        using var buf = m.GetBuffer();
        Assert.Equal(0, buf.NDim);
        Assert.Empty(buf.Shape);
        Assert.Empty(buf.Strides);
        Assert.Equal(1, buf.ByteCount);
        Assert.True(buf.CContiguous);
        Assert.Equal(42, buf.Get<byte>());
        buf.Set<byte>(7);
        Expect.Long(7, _py.RunPython("buf_0d[0]"));
        Assert.Equal(new byte[] { 7 }, buf.AsReadOnlySpan<byte>().ToArray());
        Assert.Throws<ArgumentException>(() => buf.Get<byte>(0));
    }

    [Fact]
    public void AMisalignedBufferCannotBeViewedAsWiderItems()
    {
        // Nine bytes from offset 1: not a whole number of i32, and not 4-aligned.
        using var odd = Eval("memoryview(bytearray(10))[1:]");
        Assert.Throws<ArgumentException>(() => odd.GetBuffer("i32"));
        using var eight = Eval("memoryview(bytearray(9))[1:]");
        Assert.Throws<ArgumentException>(() => eight.GetBuffer("f64"));
        using var u8 = eight.GetBuffer("u8");
        Assert.Equal(8, u8.ByteCount);
    }

    [Theory]
    [InlineData("u8", "B")]
    [InlineData("u8clamped", "B")]
    [InlineData("dataview", "B")]
    [InlineData("i8", "b")]
    public void TypeWithTheSameItemSizeOnlyChangesTheFormat(string type, string format)
    {
        using var m = Eval("memoryview(bytearray(range(24))).cast('B', (2, 3, 4))");
        using var buf = m.GetBuffer(type);
        Assert.Equal(format, buf.Format);
        Assert.Equal(1, buf.ItemSize);
        Assert.Equal(new long[] { 2, 3, 4 }, buf.Shape);
        Assert.Equal(new long[] { 12, 4, 1 }, buf.ByteStrides);
        Assert.Equal(23, buf.Get<byte>(1, 2, 3));

        // The same on a strided buffer: still allowed, geometry kept.
        using var s = Eval("memoryview(bytearray(range(10)))[::2]");
        using var sb = s.GetBuffer(type);
        Assert.Equal(format, sb.Format);
        Assert.Equal(new long[] { 2 }, sb.Strides);
        Assert.Equal(8, sb.Get<byte>(4));
    }

    [Fact]
    public void TypeWithTheSameItemSizeOnWiderItems()
    {
        using var d = Eval("import array\narray.array('d', [1.0, 2.0])");
        using var f64 = d.GetBuffer("f64");
        Assert.Equal("<d", f64.Format);
        Assert.Equal(8, f64.ItemSize);
        Assert.Equal(new long[] { 2 }, f64.Shape);
        using var i64 = d.GetBuffer("i64");
        Assert.Equal("<q", i64.Format);
        Assert.Equal(BitConverter.DoubleToInt64Bits(2.0), i64.Get<long>(1));
        using var i = Eval("import array\narray.array('i', [-1])");
        using var u32 = i.GetBuffer("u32");
        Assert.Equal("<I", u32.Format);
        Assert.Equal(uint.MaxValue, u32.Get<uint>(0));
        using var f32 = i.GetBuffer("f32");
        Assert.Equal("<f", f32.Format);
    }

    [Fact]
    public void TypeWithAnotherItemSizeFlattensAContiguousBuffer()
    {
        using var m = Eval("memoryview(bytearray(24)).cast('B', (2, 3, 4))");
        using var i32 = m.GetBuffer("i32");
        Assert.Equal(1, i32.NDim);
        Assert.Equal(4, i32.ItemSize);
        Assert.Equal("<i", i32.Format);
        Assert.Equal(new long[] { 6 }, i32.Shape);
        Assert.Equal(new long[] { 1 }, i32.Strides);
        Assert.Equal(new long[] { 4 }, i32.ByteStrides);
        Assert.Equal(24, i32.ByteCount);
        Assert.True(i32.CContiguous);

        using var d = Eval("import array\narray.array('d', [1.5, -2.5])");
        using var u8 = d.GetBuffer("u8");
        Assert.Equal(new long[] { 16 }, u8.Shape);
        Assert.Equal("B", u8.Format);
        Assert.Equal(BitConverter.GetBytes(1.5).Concat(BitConverter.GetBytes(-2.5)).ToArray(), u8.AsReadOnlySpan<byte>().ToArray());
        using var f32 = d.GetBuffer("f32");
        Assert.Equal(new long[] { 4 }, f32.Shape);
        using var i16 = d.GetBuffer("i16");
        Assert.Equal(new long[] { 8 }, i16.Shape);
        Assert.Equal("<h", i16.Format);
    }

    [Fact]
    public void TypeWithAnotherItemSizeOnAStridedBufferIsArgumentException()
    {
        _py.RunPython("buf_st = bytearray(16)");
        using (var m = Eval("memoryview(buf_st)[::2]"))
        {
            Assert.Throws<ArgumentException>(() => m.GetBuffer("i32"));
            Assert.Throws<ArgumentException>(() => m.GetBuffer("u16"));
            // The view itself exports the bytearray while it lives.
            Assert.Equal("BufferError", Assert.Throws<PythonException>(() => _py.RunPython("buf_st.append(1)")).PythonType);
        }
        using var rev = Eval("import array\nmemoryview(array.array('i', [1, 2]))[::-1]");
        Assert.Throws<ArgumentException>(() => rev.GetBuffer("u8"));
        // Once the view is gone, nothing is left exporting the bytearray: the failed
        // GetBuffer calls ended their exports.
        _py.RunPython("buf_st.append(1)");
        Expect.Long(17, _py.RunPython("len(buf_st)"));
    }

    [Theory]
    [InlineData("float64")]
    [InlineData("U8")]
    [InlineData("")]
    [InlineData("uint8")]
    public void UnknownTypeNameIsArgumentException(string type)
    {
        _py.RunPython("buf_unknown = bytearray(8)");
        using var b = Eval("buf_unknown");
        Assert.Throws<ArgumentException>(() => b.GetBuffer(type));
        _py.RunPython("buf_unknown.append(1)"); // no export left behind
    }

    [Fact]
    public void GetBufferOnANonBufferIsTypeError()
    {
        foreach (string code in new[] { "{}", "[1, 2]", "2**70", "'text\\ud800'", "object()", "(1, 2)" })
        {
            using var p = Eval(code);
            var e = Assert.Throws<PythonException>(() => p.GetBuffer());
            Assert.Equal("TypeError", e.PythonType);
        }
        using var str = _py.ToPy("text");
        Assert.Equal("TypeError", Assert.Throws<PythonException>(() => str.GetBuffer()).PythonType);
    }

    [Fact]
    public void AHeldBufferBlocksResizingUntilDisposed()
    {
        _py.RunPython("buf_held = bytearray(b'abc')");
        using var b = Eval("buf_held");
        var buf = b.GetBuffer();
        var e = Assert.Throws<PythonException>(() => _py.RunPython("buf_held.append(1)"));
        Assert.Equal("BufferError", e.PythonType);
        // Two exports at once: both must end.
        var second = b.GetBuffer();
        buf.Dispose();
        Assert.Equal("BufferError", Assert.Throws<PythonException>(() => _py.RunPython("buf_held.append(1)")).PythonType);
        second.Dispose();
        _py.RunPython("buf_held.append(100)");
        Expect.Long(4, _py.RunPython("len(buf_held)"));
    }

    [Fact]
    public void TheBufferKeepsItsObjectAlive()
    {
        _py.RunPython("buf_alive = bytearray(b'12345678')");
        var p = Eval("buf_alive");
        using var buf = p.GetBuffer();
        p.Dispose();
        _py.RunPython("del buf_alive\nimport gc; gc.collect()\nbuf_junk = [bytearray(b'\\xee' * 8) for _ in range(1000)]");
        Assert.Equal("12345678"u8.ToArray(), buf.AsReadOnlySpan<byte>().ToArray());
        buf.AsSpan<byte>()[0] = 0;
        _py.RunPython("del buf_junk");
    }

    [Fact]
    public void DisposeTwiceIsHarmless()
    {
        using var b = Eval("bytearray(4)");
        var buf = b.GetBuffer();
        buf.Dispose();
        buf.Dispose();
        using var again = b.GetBuffer();
        Assert.Equal(4, again.ByteCount);
    }

    [Fact]
    public void UseAfterDisposeIsObjectDisposed()
    {
        using var b = Eval("bytearray(4)");
        var buf = b.GetBuffer();
        buf.Dispose();
        Assert.Throws<ObjectDisposedException>(() => buf.AsSpan<byte>());
        Assert.Throws<ObjectDisposedException>(() => buf.AsReadOnlySpan<byte>());
        Assert.Throws<ObjectDisposedException>(() => buf.Get<byte>(0));
        Assert.Throws<ObjectDisposedException>(() => buf.Set<byte>(1, 0));
        Assert.Throws<ObjectDisposedException>(() => buf.Data);
        Assert.Throws<ObjectDisposedException>(() => buf.First);
    }

    [Fact]
    public void UseAfterTheRuntimeIsDisposedIsObjectDisposed()
    {
        var py = Runtimes.LoadQuiet();
        var b = Expect.Proxy(py.RunPython("bytearray(b'xyz')"));
        var buf = b.GetBuffer();
        Assert.Equal((byte)'y', buf.Get<byte>(1));
        py.Dispose();
        Assert.Throws<ObjectDisposedException>(() => buf.AsSpan<byte>());
        Assert.Throws<ObjectDisposedException>(() => buf.AsReadOnlySpan<byte>());
        Assert.Throws<ObjectDisposedException>(() => buf.Get<byte>(0));
        Assert.Throws<ObjectDisposedException>(() => buf.Set<byte>(1, 0));
        Assert.Throws<ObjectDisposedException>(() => buf.Data);
        Assert.Throws<ObjectDisposedException>(() => buf.First);
        Assert.Throws<ObjectDisposedException>(() => b.GetBuffer());
        buf.Dispose();
        buf.Dispose();
        b.Dispose();
    }

    [Fact]
    public void GetBufferOfADisposedProxyIsObjectDisposed()
    {
        var b = Eval("bytearray(1)");
        b.Dispose();
        Assert.Throws<ObjectDisposedException>(() => b.GetBuffer());
    }
}
