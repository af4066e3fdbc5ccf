package gen

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// The wide name lists of generated cases: a few hundred given and family
// names from the regions SafeCase serves (East and West Africa, the Horn,
// the Middle East, South and South-East Asia, Latin America), in rough order
// of frequency, the most common first. A name is drawn with a Zipf-like
// frequency (the k-th name about 1/k^0.9 as often as the first), so a
// million cases hold tens of thousands of Mohammeds and a long tail of rare
// names, as a real caseload does. Spelling variants of the same name
// (Mohammed / Muhammad / Mohamed, Aisha / Aïcha / Ayesha, Nguyen / Ngyuen)
// are separate entries, as registration clerks write them. The names are
// combined at random, so no generated person is anyone real.

// wideFemale are girls' and women's given names.
var wideFemale = strings.Fields(`
Fatima Aisha Amina Mariam Halima Zainab Khadija Grace Hawa Asha
Fatuma Mary Esther Sarah Maryam Ayesha Aïcha Aicha Fatimah Hadiza
Rukia Nadia Amal Hana Leila Layla Noor Nur Rania Samira
Yasmin Yasmine Zahra Zara Farida Safiya Safia Sofia Hodan Ifrah
Ayan Nasra Sahra Deka Faduma Hamdi Ikran Sagal Nimco Hibo
Achol Nyaluak Nyakuoth Abuk Ayen Adut Nyibol Achan Awut Nyandeng
Akosua Abena Ama Adwoa Efua Akua Yaa Afia Comfort Gifty
Ngozi Chioma Amaka Nkechi Adaeze Folake Funmilayo Yetunde Bukola Kemi
Blessing Joy Mercy Patience Faith Hope Charity Precious Favour Peace
Wanjiru Achieng Atieno Akinyi Nyambura Wambui Njeri Adhiambo Awino Auma
Rose Ruth Lucy Agnes Jane Christine Alice Naomi Rebecca Rachel
Tigist Meron Hiwot Selam Almaz Saba Helen Mulu Genet Eden
Shirin Parwana Zarghuna Mahbooba Roya Fereshteh Nazanin Gulalai Marzia Sakina
Rokeya Rahima Shahida Nurjahan Hasina Jannat Tasmin Sumaiya Setara Rehana
Priya Anjali Sita Lakshmi Pooja
Thi Lan Mai Linh Hoa Huong Thu Ngoc
Maria Ana Lucia Ines Valentina Camila Daniela Gabriela Carolina Andrea
Luz Yuleisy Yeimi Dayana Paola
Lina Maya Sara Sarah Ruqayya Hafsa Sumaya Asma Salma Rahma
Jamila Habiba Latifa Najma Warda Mwanaisha Rehema Neema Zawadi Upendo
Chiamaka Ifeoma Zainabu Binta Aminata Mariama Fanta Kadiatou Oumou Awa
`)

// wideMale are boys' and men's given names.
var wideMale = strings.Fields(`
Mohammed Muhammad Mohamed Mohammad Ahmed Ali Abdullahi Ibrahim Hassan Hussein
Omar Yusuf Abdi Osman Musa Adam Ismail Abdullah Mahmoud Khalid
Hussain Husein Youssef Yousef Usman Othman Ahmad Mohamud Mahamed Abdirahman
Abdikarim Abdirashid Abdulkadir Abdulahi Farah Hamza Bilal Idris Jamal Karim
Tariq Sami Samir Nasser Rashid Said Saeed Salim Suleiman Sulayman
Joseph John James Peter David Daniel Samuel Emmanuel Moses Paul
Deng Garang Majok Chol Akol Mabior Kuol Malual Nhial Gatluak
Kofi Kwame Kwabena Kojo Yaw Kwaku Kweku Fiifi Ebo Nana
Chinedu Emeka Obinna Ikechukwu Chukwuma Tunde Segun Olumide Babatunde Adebayo
Musa Sani Bello Aliyu Umar Lawal Garba Haruna Shehu Yakubu
Otieno Ochieng Odhiambo Kamau Mwangi Njoroge Kiprono Kipchoge Baraka Juma
Tesfaye Dawit Yonas Bereket Samson Tekle Habtom Kidane Mulugeta Girma
Ahmadullah Habibullah Sayed Naveed Farid Wahid Rahim Zabihullah Javid Najib
Rahmat Nurul Anwar Rafiq Shafiq Jamil Abul Kabir Sayedul Hamid
Ravi Arjun Rahul Sanjay Vikram
Van Minh Duc Tuan Hung Nam
Jose Juan Carlos Luis Miguel Mateo Santiago Andres Jesus Alejandro
Elias Isaac Jacob Abraham Solomon Michael Francis Charles Richard George
Amadou Mamadou Ousmane Boubacar Moussa Souleymane Abdoulaye Cheikh Modou Lamine
Ismael Yassin Yasin Zakaria Zakariya Anas Bashir Nur Noor Hakim
`)

// wideFamily are family names (for many of these communities the second
// name is the father's given name, hence the overlap with wideMale).
var wideFamily = strings.Fields(`
Mohammed Mohamed Muhammad Ahmed Ali Hassan Hussein Abdi Ibrahim Omar
Yusuf Osman Musa Abdullahi Adam Ismail Mahmoud Farah Warsame Jama
Nguyen Ngyuen Tran Le Pham Hoang Vo
Okello Mensah Nkosi Haddad Juma Osei Mwangi Kamara Diallo Ahmadi
Barzani Odhiambo Achieng Mbeki Tesfaye Bekele Sesay Rahman Karimi Nasser
Garcia Mendoza Deng Lual Mutua Banda Phiri Otieno Ochieng Kamau
Njoroge Wanjiku Kiprono Cheruiyot Kipchoge Onyango Omondi Wafula Mugisha Habimana
Uwimana Niyonzima Hakizimana Nshimiyimana Mukamana Ndayisaba Bizimana Irakoze Ntakirutimana Nsengiyumva
Garang Majok Chol Akol Mabior Kuol Malual Nhial Gatluak Machar
Kiir Lam Gai Ruot Tut Wal Kuany Bol Dut Makuei
Boateng Asante Owusu Agyeman Appiah Darko Ofori Acheampong Amoah Addo
Okafor Okonkwo Eze Nwosu Obi Adeyemi Adebayo Ogunleye Balogun Bello
Abubakar Aliyu Sani Umar Garba Yakubu Lawal Haruna Danjuma Shehu
Traore Keita Coulibaly Toure Camara Sylla Bah Barry Sow Ndiaye
Tekle Haile Gebremedhin Tesfamariam Kidane Woldemichael Berhane Girma Alemu Desta
Hashimi Popal Stanekzai Wardak Sultani Safi Noori Rahimi Azizi Amiri
Begum Khatun Akter Hossain Uddin Alam Islam Miah Sultana Chowdhury
Al-Hassan Al-Ahmad Al-Khatib Khalil Saleh Darwish Hamdan Mansour Suleiman Aziz
Hamad Abbas Jaber Qasim Nasrallah Othman Younis Zaki Ayoub Halabi
Rodriguez Martinez Lopez Gonzalez Hernandez Perez Sanchez Ramirez Torres Flores
Rivera Gomez Diaz Vargas Castillo Rojas Moreno Jimenez Silva Gutierrez
Mohamud Mahamed Hussain Husein Yousef Youssef Usman Ahmad Abdulahi Mohammad
Tshabalala Dlamini Moyo Ncube Sibanda Dube Mwale Tembo Zulu Chirwa
Kato Ssempijja Mukasa Nakato Opio Ocen Odongo Akello Atim Lokwang
`)

// zipf is a list of names with Zipf-like weights, drawn by binary search
// over the cumulative weights.
type zipf struct {
	names []string
	cum   []float64
}

func newZipf(names []string, s float64) *zipf {
	seen := map[string]bool{}
	z := &zipf{}
	total := 0.0
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		total += 1 / math.Pow(float64(len(z.names)+1), s)
		z.names = append(z.names, n)
		z.cum = append(z.cum, total)
	}
	return z
}

func (z *zipf) draw(r *rnd) string {
	v := r.Float64() * z.cum[len(z.cum)-1]
	return z.names[sort.SearchFloat64s(z.cum, v)]
}

var (
	zipfFemale = newZipf(wideFemale, 0.9)
	zipfMale   = newZipf(wideMale, 0.9)
	zipfFamily = newZipf(wideFamily, 0.9)
)

// givenName draws a given name for a person of the sex.
func (r *rnd) givenName(sex string) string {
	if sex == "female" {
		return zipfFemale.draw(r)
	}
	return zipfMale.draw(r)
}

// familyName draws a family name.
func (r *rnd) familyName() string { return zipfFamily.draw(r) }

// phone returns a mobile number written as people write them: with or
// without the country code, spaced, dashed or run together.
func (r *rnd) phone() string {
	a, b, c := r.IntN(100), r.IntN(1000), r.IntN(1000)
	switch x := r.IntN(10); {
	case x < 5:
		return fmt.Sprintf("07%02d %03d %03d", a, b, c)
	case x < 7:
		return fmt.Sprintf("+254 7%02d %03d%03d", a, b, c)
	case x < 9:
		return fmt.Sprintf("07%02d-%03d-%03d", a, b, c)
	default:
		return fmt.Sprintf("07%02d%03d%03d", a, b, c)
	}
}
