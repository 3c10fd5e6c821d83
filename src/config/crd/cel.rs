//! The subset of CEL that ESO's CRDs use in `x-kubernetes-validations`: presence of fields
//! (`has(self.f)`, `'k' in self`), `!`, `&&`, `||`, `==`/`!=`/`<`/`<=`/`>`/`>=` between
//! booleans or counts, and `[...].filter(x, x == true).size()`. Anything else does not parse
//! and is refused where it occurs.

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Has(String),
    Bool(bool),
    Int(i64),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(Box<Expr>, &'static str, Box<Expr>),
    /// `[a, b].filter(x, x == true).size()`
    CountTrue(Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum V {
    B(bool),
    I(i64),
}

impl Expr {
    /// Whether the rule holds for an object with these (non-null) fields.
    pub fn holds(&self, present: &[&str]) -> bool {
        matches!(self.eval(present), Some(V::B(true)))
    }

    fn eval(&self, present: &[&str]) -> Option<V> {
        Some(match self {
            Expr::Has(f) => V::B(present.contains(&f.as_str())),
            Expr::Bool(b) => V::B(*b),
            Expr::Int(i) => V::I(*i),
            Expr::Not(e) => match e.eval(present)? {
                V::B(b) => V::B(!b),
                V::I(_) => return None,
            },
            Expr::And(a, b) => V::B(a.holds(present) && b.holds(present)),
            Expr::Or(a, b) => V::B(a.holds(present) || b.holds(present)),
            Expr::CountTrue(items) => {
                V::I(items.iter().filter(|e| e.holds(present)).count() as i64)
            }
            Expr::Cmp(a, op, b) => {
                let (a, b) = (a.eval(present)?, b.eval(present)?);
                let ord = match (a, b) {
                    (V::I(x), V::I(y)) => x.cmp(&y),
                    (V::B(x), V::B(y)) => x.cmp(&y),
                    _ => return None,
                };
                use std::cmp::Ordering::*;
                V::B(match *op {
                    "==" => ord == Equal,
                    "!=" => ord != Equal,
                    "<" => ord == Less,
                    "<=" => ord != Greater,
                    ">" => ord == Greater,
                    _ => ord != Less,
                })
            }
        })
    }
}

/// Parses a rule; `None` when it is outside the subset.
pub fn parse(text: &str) -> Option<Expr> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let e = p.or()?;
    p.ws();
    (p.i == p.s.len()).then_some(e)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(tok.as_bytes()) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn or(&mut self) -> Option<Expr> {
        let mut e = self.and()?;
        while self.eat("||") {
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Some(e)
    }

    fn and(&mut self) -> Option<Expr> {
        let mut e = self.cmp()?;
        while self.eat("&&") {
            e = Expr::And(Box::new(e), Box::new(self.cmp()?));
        }
        Some(e)
    }

    fn cmp(&mut self) -> Option<Expr> {
        let a = self.unary()?;
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if self.eat(op) {
                let b = self.unary()?;
                return Some(Expr::Cmp(Box::new(a), op, Box::new(b)));
            }
        }
        Some(a)
    }

    fn unary(&mut self) -> Option<Expr> {
        if self.eat("!") {
            return Some(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Option<Expr> {
        if self.eat("(") {
            let e = self.or()?;
            return self.eat(")").then_some(e);
        }
        if self.eat("has(") {
            if !self.eat("self.") {
                return None;
            }
            let f = self.ident()?;
            return self.eat(")").then_some(Expr::Has(f));
        }
        if self.eat("[") {
            let mut items = vec![self.or()?];
            while self.eat(",") {
                items.push(self.or()?);
            }
            if !self.eat("]") {
                return None;
            }
            let filter = self.eat(".filter(")
                && self.ident()? == "x"
                && self.eat(",")
                && self.ident()? == "x"
                && self.eat("==")
                && self.eat("true")
                && self.eat(")")
                && self.eat(".size()");
            return filter.then_some(Expr::CountTrue(items));
        }
        if self.eat("'") {
            let start = self.i;
            while self.s.get(self.i).is_some_and(|b| *b != b'\'') {
                self.i += 1;
            }
            let key = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
            self.i += 1;
            return (self.eat("in") && self.eat("self")).then_some(Expr::Has(key));
        }
        if self.eat("true") {
            return Some(Expr::Bool(true));
        }
        if self.eat("false") {
            return Some(Expr::Bool(false));
        }
        self.ws();
        let start = self.i;
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .parse()
            .ok()
            .map(Expr::Int)
    }
}
