/// The world `types`: its exports, called through typed functions.
#[derive(Clone)]
#[allow(clippy::type_complexity)]
pub struct Types {
    shapes: self::exports::test::types::shapes::Guest,
}
impl Types {
    /// Instantiates `component` with the imports `linker` defines, and finds its
    /// exports.
    pub fn instantiate<T: 'static>(
        mut store: impl ::tether::AsContextMut<Data = T>,
        component: &::tether::Component,
        linker: &::tether::Linker<T>,
    ) -> ::tether::Result<Types> {
        let instance = linker.instantiate(&mut store, component)?;
        Types::new(store, &instance)
    }
    /// Finds the world's exports in `instance` and checks their types.
    pub fn new(
        mut store: impl ::tether::AsContextMut,
        instance: &::tether::Instance,
    ) -> ::tether::Result<Types> {
        let shapes = self::exports::test::types::shapes::Guest::new(
            &mut store,
            instance,
        )?;
        Ok(Types { shapes })
    }
    /// Defines every import of the world in `linker`, implemented by `T`.
    pub fn add_to_linker<T>(linker: &mut ::tether::Linker<T>) -> ::tether::Result<()>
    where
        T: self::test::types::shapes::Host + Send + 'static,
    {
        self::test::types::shapes::add_to_linker(linker)?;
        Ok(())
    }
    /// The functions of the exported interface.
    pub fn shapes(&self) -> &self::exports::test::types::shapes::Guest {
        &self.shapes
    }
}
pub mod test {
    pub mod types {
        pub mod shapes {
            /// A point.
            #[derive(::tether::ComponentType, Debug, Clone, PartialEq)]
            pub struct Point {
                /// Across.
                pub x: f64,
                pub y: f64,
            }
            #[derive(::tether::ComponentType, Debug, Clone, PartialEq)]
            pub struct Type {
                pub type_: String,
                pub use_: u8,
                #[component(name = "HTTP-code")]
                pub http_code: u16,
            }
            #[derive(::tether::ComponentType, Debug, Clone, PartialEq)]
            pub enum Shape {
                Circle(f64),
                Rect((Point, Point)),
                #[component(name = "HTTP-error")]
                HttpError(String),
                Empty,
            }
            #[derive(::tether::ComponentType, Debug, Clone, PartialEq)]
            #[component(variant)]
            pub enum UnitOnly {
                A,
                B,
            }
            #[derive(::tether::ComponentType, Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum Color {
                Red,
                DarkBlue,
                #[component(name = "TLS-green")]
                TlsGreen,
            }
            ::tether::flags! {
                pub Permissions { const READ = "read"; const WRITE = "write"; const
                RUN_AS_ROOT = "run-as-root"; }
            }
            pub type Points = Vec<Point>;
            pub type Bytes = Vec<u8>;
            pub type MaybeShape = Option<Shape>;
            /// What the embedder implements, on its store's data type, to provide the interface `test:types/shapes`.
            ///
            /// An `Err` returned from a method traps the guest that called it; a WIT `result` is the `Result` inside, which the guest receives.
            pub trait Host: Sized + Send + 'static {
                fn area(&mut self, s: Shape) -> ::tether::Result<f64>;
                fn centroid(
                    &mut self,
                    pts: Vec<Point>,
                ) -> ::tether::Result<Option<Point>>;
                fn parse(
                    &mut self,
                    text: String,
                ) -> ::tether::Result<Result<Shape, String>>;
                fn check(
                    &mut self,
                    p: Permissions,
                    c: Color,
                ) -> ::tether::Result<Result<(), String>>;
                fn nothing(&mut self) -> ::tether::Result<()>;
                fn ping(&mut self) -> ::tether::Result<Result<(), ()>>;
                fn swap(
                    &mut self,
                    pair: (u32, String),
                ) -> ::tether::Result<(String, u32)>;
                fn use_(&mut self, type_: Type) -> ::tether::Result<Vec<u8>>;
            }
            /// Defines the interface `test:types/shapes` in `linker`, implemented by `T`'s `Host` methods.
            pub fn add_to_linker<T: Host + Send + 'static>(
                linker: &mut ::tether::Linker<T>,
            ) -> ::tether::Result<()> {
                let mut inst = linker.instance("test:types/shapes")?;
                inst.func_wrap(
                    "area",
                    |mut store: ::tether::StoreContextMut<'_, T>, (s,): (Shape,)| {
                        let ret = <T as Host>::area(store.data_mut(), s)?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "centroid",
                    |mut store: ::tether::StoreContextMut<'_, T>, (pts,): (Vec<Point>,)| {
                        let ret = <T as Host>::centroid(store.data_mut(), pts)?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "parse",
                    |mut store: ::tether::StoreContextMut<'_, T>, (text,): (String,)| {
                        let ret = <T as Host>::parse(store.data_mut(), text)?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "check",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (p, c): (Permissions, Color)|
                    {
                        let ret = <T as Host>::check(store.data_mut(), p, c)?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "nothing",
                    |mut store: ::tether::StoreContextMut<'_, T>, (): ()| {
                        <T as Host>::nothing(store.data_mut())?;
                        Ok(())
                    },
                )?;
                inst.func_wrap(
                    "ping",
                    |mut store: ::tether::StoreContextMut<'_, T>, (): ()| {
                        let ret = <T as Host>::ping(store.data_mut())?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "swap",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (pair,): ((u32, String),)|
                    {
                        let ret = <T as Host>::swap(store.data_mut(), pair)?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "use",
                    |mut store: ::tether::StoreContextMut<'_, T>, (type_,): (Type,)| {
                        let ret = <T as Host>::use_(store.data_mut(), type_)?;
                        Ok((ret,))
                    },
                )?;
                Ok(())
            }
        }
    }
}
pub mod exports {
    pub mod test {
        pub mod types {
            pub mod shapes {
                /// A point.
                #[derive(::tether::ComponentType, Debug, Clone, PartialEq)]
                pub struct Point {
                    /// Across.
                    pub x: f64,
                    pub y: f64,
                }
                #[derive(::tether::ComponentType, Debug, Clone, PartialEq)]
                pub struct Type {
                    pub type_: String,
                    pub use_: u8,
                    #[component(name = "HTTP-code")]
                    pub http_code: u16,
                }
                #[derive(::tether::ComponentType, Debug, Clone, PartialEq)]
                pub enum Shape {
                    Circle(f64),
                    Rect((Point, Point)),
                    #[component(name = "HTTP-error")]
                    HttpError(String),
                    Empty,
                }
                #[derive(::tether::ComponentType, Debug, Clone, PartialEq)]
                #[component(variant)]
                pub enum UnitOnly {
                    A,
                    B,
                }
                #[derive(
                    ::tether::ComponentType,
                    Debug,
                    Clone,
                    Copy,
                    PartialEq,
                    Eq,
                    Hash
                )]
                pub enum Color {
                    Red,
                    DarkBlue,
                    #[component(name = "TLS-green")]
                    TlsGreen,
                }
                ::tether::flags! {
                    pub Permissions { const READ = "read"; const WRITE = "write"; const
                    RUN_AS_ROOT = "run-as-root"; }
                }
                pub type Points = Vec<Point>;
                pub type Bytes = Vec<u8>;
                pub type MaybeShape = Option<Shape>;
                /// The functions of the interface `test:types/shapes` that the guest exports.
                #[derive(Clone)]
                #[allow(clippy::type_complexity)]
                pub struct Guest {
                    area: ::tether::TypedFunc<(Shape,), (f64,)>,
                    centroid: ::tether::TypedFunc<(Vec<Point>,), (Option<Point>,)>,
                    parse: ::tether::TypedFunc<(String,), (Result<Shape, String>,)>,
                    check: ::tether::TypedFunc<
                        (Permissions, Color),
                        (Result<(), String>,),
                    >,
                    nothing: ::tether::TypedFunc<(), ()>,
                    ping: ::tether::TypedFunc<(), (Result<(), ()>,)>,
                    swap: ::tether::TypedFunc<((u32, String),), ((String, u32),)>,
                    use_: ::tether::TypedFunc<(Type,), (Vec<u8>,)>,
                }
                impl Guest {
                    /// Finds the interface's functions in `instance` and checks their types.
                    pub fn new(
                        mut store: impl ::tether::AsContextMut,
                        instance: &::tether::Instance,
                    ) -> ::tether::Result<Guest> {
                        let area = Self::typed(
                            Self::func(&mut store, instance, "area")?,
                            "area",
                        )?;
                        let centroid = Self::typed(
                            Self::func(&mut store, instance, "centroid")?,
                            "centroid",
                        )?;
                        let parse = Self::typed(
                            Self::func(&mut store, instance, "parse")?,
                            "parse",
                        )?;
                        let check = Self::typed(
                            Self::func(&mut store, instance, "check")?,
                            "check",
                        )?;
                        let nothing = Self::typed(
                            Self::func(&mut store, instance, "nothing")?,
                            "nothing",
                        )?;
                        let ping = Self::typed(
                            Self::func(&mut store, instance, "ping")?,
                            "ping",
                        )?;
                        let swap = Self::typed(
                            Self::func(&mut store, instance, "swap")?,
                            "swap",
                        )?;
                        let use_ = Self::typed(
                            Self::func(&mut store, instance, "use")?,
                            "use",
                        )?;
                        Ok(Guest {
                            area,
                            centroid,
                            parse,
                            check,
                            nothing,
                            ping,
                            swap,
                            use_,
                        })
                    }
                    fn func(
                        store: &mut impl ::tether::AsContextMut,
                        instance: &::tether::Instance,
                        name: &str,
                    ) -> ::tether::Result<::tether::Func> {
                        instance
                            .get_func_at(&mut *store, &["test:types/shapes", name])
                            .ok_or_else(|| ::tether::Error::msg(
                                ::std::format!(
                                    "the component exports no function `test:types/shapes#{name}`"
                                ),
                            ))
                    }
                    fn typed<
                        P: ::tether::ComponentNamedList,
                        R: ::tether::ComponentNamedList,
                    >(
                        f: ::tether::Func,
                        name: &str,
                    ) -> ::tether::Result<::tether::TypedFunc<P, R>> {
                        ::tether::TypedFunc::new(f)
                            .map_err(|e| {
                                e
                                    .context(
                                        ::std::format!(
                                            "exported function `test:types/shapes#{name}` has the wrong type"
                                        ),
                                    )
                            })
                    }
                    pub fn call_area(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        s: Shape,
                    ) -> ::tether::Result<f64> {
                        let (ret,) = self.area.call(&mut store, (s,))?;
                        Ok(ret)
                    }
                    pub fn call_centroid(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        pts: Vec<Point>,
                    ) -> ::tether::Result<Option<Point>> {
                        let (ret,) = self.centroid.call(&mut store, (pts,))?;
                        Ok(ret)
                    }
                    pub fn call_parse(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        text: String,
                    ) -> ::tether::Result<Result<Shape, String>> {
                        let (ret,) = self.parse.call(&mut store, (text,))?;
                        Ok(ret)
                    }
                    pub fn call_check(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        p: Permissions,
                        c: Color,
                    ) -> ::tether::Result<Result<(), String>> {
                        let (ret,) = self.check.call(&mut store, (p, c))?;
                        Ok(ret)
                    }
                    pub fn call_nothing(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                    ) -> ::tether::Result<()> {
                        let () = self.nothing.call(&mut store, ())?;
                        Ok(())
                    }
                    pub fn call_ping(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                    ) -> ::tether::Result<Result<(), ()>> {
                        let (ret,) = self.ping.call(&mut store, ())?;
                        Ok(ret)
                    }
                    pub fn call_swap(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        pair: (u32, String),
                    ) -> ::tether::Result<(String, u32)> {
                        let (ret,) = self.swap.call(&mut store, (pair,))?;
                        Ok(ret)
                    }
                    pub fn call_use_(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        type_: Type,
                    ) -> ::tether::Result<Vec<u8>> {
                        let (ret,) = self.use_.call(&mut store, (type_,))?;
                        Ok(ret)
                    }
                }
            }
        }
    }
}
